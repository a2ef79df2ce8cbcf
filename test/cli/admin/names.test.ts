// /etc/services as glibc's files backend reads it.
import { describe, expect, it } from 'vitest';
import { nameService, numericHosts, parseServices } from '../../../src/cli/admin/names.js';
import { SERVICES } from './helpers.js';

describe('parseServices', () => {
  const ns = nameService(parseServices(`${SERVICES}webcache 8080/tcp http-alt\nhttp-alt 8080/tcp\nbad line\nbig 70000/tcp\n`), numericHosts());

  it('answers getservbyname by name or alias, per protocol', () => {
    expect(ns.servicePort('http', 'tcp')).toBe(80);
    expect(ns.servicePort('www', 'tcp')).toBe(80);
    expect(ns.servicePort('http', 'udp')).toBeNull();
    expect(ns.servicePort('domain', 'udp')).toBe(53);
    expect(ns.servicePort('http-alt', 'tcp')).toBe(8080);
    expect(ns.servicePort('big', 'tcp')).toBeNull();
  });

  it('answers getservbyport with the first official name', () => {
    expect(ns.serviceName(8080, 'tcp')).toBe('webcache');
    expect(ns.serviceName(5060, 'udp')).toBe('sip');
    expect(ns.serviceName(5060, 'tcp')).toBeNull();
  });
});
