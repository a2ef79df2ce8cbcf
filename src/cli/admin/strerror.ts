// ipvs_strerror() (libipvs.c): the message ipvsadm prints for an errno, which
// depends on the libipvs call that failed ("No such service" from a delete,
// "Service not defined" from adding a server to a missing service). The API's
// error codes are those errno names; the call is named by the Op that failed.
import type { Op } from '../../control/types.js';

/** The libipvs calls ipvsadm makes, named after the function. */
export type IpvsFunc =
  | 'add_service' | 'update_service' | 'del_service' | 'zero_service' | 'add_dest' | 'update_dest' | 'del_dest'
  | 'flush' | 'set_timeout' | 'start_daemon' | 'stop_daemon' | 'get_services' | 'get_dests' | 'get_service'
  | 'get_timeout' | 'get_conns' | 'get_daemon';

export const FUNC_OF_OP: Record<Op['op'], IpvsFunc> = {
  'add-service': 'add_service',
  'edit-service': 'update_service',
  'delete-service': 'del_service',
  zero: 'zero_service',
  'add-server': 'add_dest',
  'edit-server': 'update_dest',
  'delete-server': 'del_dest',
  clear: 'flush',
  'set-timeouts': 'set_timeout',
};

/** The table, in libipvs's order: a null function matches every call. */
const TABLE: readonly [IpvsFunc | null, string, string][] = [
  ['add_service', 'EEXIST', 'Service already exists'],
  ['add_service', 'ENOENT', 'Scheduler or persistence engine not found'],
  ['update_service', 'ESRCH', 'No such service'],
  ['update_service', 'ENOENT', 'Scheduler or persistence engine not found'],
  ['del_service', 'ESRCH', 'No such service'],
  ['zero_service', 'ESRCH', 'No such service'],
  ['add_dest', 'ESRCH', 'Service not defined'],
  ['add_dest', 'EEXIST', 'Destination already exists'],
  ['update_dest', 'ESRCH', 'Service not defined'],
  ['update_dest', 'ENOENT', 'No such destination'],
  ['del_dest', 'ESRCH', 'Service not defined'],
  ['del_dest', 'ENOENT', 'No such destination'],
  ['start_daemon', 'EEXIST', 'Daemon has already run'],
  ['stop_daemon', 'ESRCH', 'No daemon is running'],
  ['get_services', 'ESRCH', 'No such service'],
  ['get_dests', 'ESRCH', 'No such service'],
  ['get_service', 'ESRCH', 'No such service'],
  [null, 'EPERM', 'Permission denied (you must be root)'],
  [null, 'EINVAL', 'Invalid operation.  Possibly wrong module version, address not unicast, ...'],
  [null, 'ENOPROTOOPT', 'Protocol not available'],
  [null, 'ENOMEM', 'Memory allocation problem'],
  [null, 'EOPNOTSUPP', 'Operation not supported with IPv6'],
  [null, 'EAFNOSUPPORT', 'Operation not supported with specified address family'],
  [null, 'EMSGSIZE', 'Module is wrong version'],
];

/** glibc's strerror() for the codes the table leaves to it. */
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EEXIST: 'File exists',
  EBUSY: 'Device or resource busy',
  ENOSPC: 'No space left on device',
  E2BIG: 'Argument list too long',
  EACCES: 'Permission denied',
  ENODEV: 'No such device',
  ERANGE: 'Numerical result out of range',
};

/** The message for `code` from `func`; a code glibc would not know keeps the API's own message. */
export function ipvsStrerror(func: IpvsFunc, code: string, apiMessage = code): string {
  const hit = TABLE.find(([f, c]) => (f === null || f === func) && c === code);
  return hit ? hit[2] : (STRERROR[code] ?? apiMessage);
}
