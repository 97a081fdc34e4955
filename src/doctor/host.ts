import { currentHostFacts, type HostFacts } from '../capacity/index.js';

/** What `drover doctor` reads that is not a file under `root`: injectable, so that a test can describe any machine. */
export interface DoctorHost extends HostFacts {
  env: Readonly<Record<string, string | undefined>>;
  /** undefined where there are no user ids (Windows). */
  uid: number | undefined;
  pid: number;
}

export function currentDoctorHost(): DoctorHost {
  return { ...currentHostFacts(), env: process.env, uid: process.getuid?.(), pid: process.pid };
}
