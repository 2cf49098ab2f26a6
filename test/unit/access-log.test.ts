// The access log's URL: a customer's tracking token never reaches the logs; every other URL as it came.
import t from 'tap';
import { loggedUrl } from '../../observability/access-log.js';

t.test('tracking links are logged without their token', async (t) => {
  t.equal(loggedUrl('/track/eyJhbGciOi.abc.def?lang=th'), '/track/<token>?lang=th');
  t.equal(loggedUrl('/api/v1/track/eyJhbGciOi.abc.def'), '/api/v1/track/<token>');
  t.equal(loggedUrl('/track/eyJ'), '/track/<token>');
});

t.test('other URLs unchanged', async (t) => {
  t.equal(loggedUrl('/api/v1/orders/QC0001-00000001?store=QC0001'), '/api/v1/orders/QC0001-00000001?store=QC0001');
  t.equal(loggedUrl('/api/v1/orders?customer=track'), '/api/v1/orders?customer=track');
  t.equal(loggedUrl('/racetrack/x'), '/racetrack/x', 'only a path segment named track');
});
