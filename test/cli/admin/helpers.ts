// Shared by the admin tests: a NameService with a few names and no DNS.
import { nameService, parseServices, type NameService } from '../../../src/cli/admin/names.js';

export const SERVICES = `# a piece of /etc/services
http            80/tcp          www             # WorldWideWeb HTTP
domain          53/tcp                          # Domain Name Server
domain          53/udp
https           443/tcp
sip             5060/udp
`;

const HOSTS: Record<string, string> = { 'www.example.test': '198.18.0.10', 'web1.example.test': '198.19.0.11' };

/** Names as the tests' "system" has them: two hosts, a few services, nothing else. */
export function fakeNames(): NameService {
  return nameService(parseServices(SERVICES), {
    hostAddress: async (name) => HOSTS[name] ?? null,
    hostName: async (address) => Object.keys(HOSTS).find((h) => HOSTS[h] === address) ?? null,
  });
}
