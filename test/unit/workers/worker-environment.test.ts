// What each worker of `omnia start` (OMNIA_WORKERS) is forked with: a replica of its own, sharing PORT.
import t from 'tap';
import { endpointWithPort, workerEnvironment, workerPort } from '../../../workers/worker-environment.js';

const inputs = { stateDir: '/var/lib/omnia', port: 8080, searchCursorKey: 'k'.repeat(64) };

t.test('each worker has its own state directory, number and advertised port; all share the cursor key', async (t) => {
  const pod = { ...inputs, instanceId: 'omnia-processors-0', endpoint: 'omnia-processors-0.omnia-processors:8080' };
  t.same(workerEnvironment(1, pod), {
    OMNIA_WORKER_NUMBER: '1',
    OMNIA_STATE_DIR: '/var/lib/omnia/worker-1',
    OMNIA_SEARCH_CURSOR_KEY: 'k'.repeat(64),
    OMNIA_INSTANCE_ID: 'omnia-processors-0-w1',
    OMNIA_ENDPOINT: 'omnia-processors-0.omnia-processors:8081',
  });
  t.match(workerEnvironment(2, pod), {
    OMNIA_STATE_DIR: '/var/lib/omnia/worker-2',
    OMNIA_INSTANCE_ID: 'omnia-processors-0-w2',
    OMNIA_ENDPOINT: 'omnia-processors-0.omnia-processors:8082',
  });
});

t.test('without an instance id or an endpoint, none is invented', async (t) => {
  const env = workerEnvironment(3, inputs);
  t.notOk('OMNIA_INSTANCE_ID' in env, 'dynamic membership stays dynamic');
  t.notOk('OMNIA_ENDPOINT' in env, 'nothing advertised: other replicas answer this worker’s orders from Postgres, as for any replica');
});

t.test('the workers’ ports: from OMNIA_WORKER_BASE_PORT, or just above PORT', async (t) => {
  t.equal(workerPort(1, { port: 8080 }), 8081);
  t.equal(workerPort(2, { port: 8080 }), 8082);
  t.equal(workerPort(1, { port: 8080, workerBasePort: 9100 }), 9100);
  t.equal(workerPort(4, { port: 8080, workerBasePort: 9100 }), 9103);
});

t.test('an endpoint’s port is replaced, IPv6 hosts included', async (t) => {
  t.equal(endpointWithPort('10.0.0.7:8080', 8081), '10.0.0.7:8081');
  t.equal(endpointWithPort('[fd00::7]:8080', 8082), '[fd00::7]:8082');
  t.equal(endpointWithPort('omnia-0.svc', 8081), 'omnia-0.svc:8081', 'a host without a port gets one');
  t.throws(() => endpointWithPort(':8080', 8081), /OMNIA_ENDPOINT must be host:port/);
});
