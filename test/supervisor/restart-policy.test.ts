import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartPolicy } from '../../src/supervisor/index.js';

describe('RestartPolicy', () => {
  it('backs off x1.5 per crash of a slot, capped at 15 s', () => {
    const policy = new RestartPolicy({ maxRestarts: 100, initialDelay: 100 });
    const delays = Array.from({ length: 16 }, () => policy.onCrash(0, false)).map((d) => (d.action === 'restart' ? d.delay : -1));
    assert.deepEqual(delays.slice(0, 5), [100, 150, 225, 338, 506]);
    assert.equal(delays.at(-1), 15_000);
  });

  it('each slot backs off on its own; a stable worker resets its slot', () => {
    const policy = new RestartPolicy({ maxRestarts: 100, initialDelay: 100 });
    policy.onCrash(0, true);
    policy.onCrash(0, true);
    assert.deepEqual(policy.onCrash(1, true), { action: 'restart', delay: 100, unstableInARow: 3 });
    policy.onStable(0);
    assert.deepEqual(policy.onCrash(0, false), { action: 'restart', delay: 100, unstableInARow: 0 });
  });

  it('gives up after more than max_restarts quick crashes in a row across slots', () => {
    const policy = new RestartPolicy({ maxRestarts: 3, initialDelay: 100 });
    assert.equal(policy.onCrash(0, true).action, 'restart');
    assert.equal(policy.onCrash(1, true).action, 'restart');
    assert.equal(policy.onCrash(0, true).action, 'restart');
    assert.deepEqual(policy.onCrash(1, true), { action: 'give-up', unstableInARow: 4 });
  });

  it('a worker reaching min_uptime in between breaks the run', () => {
    const policy = new RestartPolicy({ maxRestarts: 2, initialDelay: 100 });
    policy.onCrash(0, true);
    policy.onCrash(0, true);
    policy.onStable(1);
    assert.equal(policy.onCrash(0, true).action, 'restart');
  });

  it('crashes after min_uptime never count toward a crash loop', () => {
    const policy = new RestartPolicy({ maxRestarts: 0, initialDelay: 100 });
    for (let i = 0; i < 5; i++) assert.equal(policy.onCrash(0, false).action, 'restart');
    assert.equal(policy.onCrash(0, true).action, 'give-up');
  });
});
