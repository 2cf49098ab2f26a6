// Which partitions a replica keeps standbys of: the next OMNIA_NUM_STANDBY_REPLICAS members after each owner.
import t from 'tap';
import { standbyPartitions } from '../../runtime/standby-tasks.js';

const members = [
  { instance: 'omnia-2', partitions: [4, 5] },
  { instance: 'omnia-0', partitions: [0, 1] },
  { instance: 'omnia-1', partitions: [2, 3] },
];

t.test('one standby: each member keeps the tasks of the member before it, in sorted order', async (t) => {
  t.same(standbyPartitions('omnia-0', members, 1), [4, 5], 'omnia-0 follows omnia-2 (the ring wraps)');
  t.same(standbyPartitions('omnia-1', members, 1), [0, 1]);
  t.same(standbyPartitions('omnia-2', members, 1), [2, 3]);
  const all = ['omnia-0', 'omnia-1', 'omnia-2'].flatMap((self) => standbyPartitions(self, members, 1)).sort();
  t.same(all, [0, 1, 2, 3, 4, 5], 'every partition has exactly one standby');
});

t.test('two standbys: every other member; never more than there are others', async (t) => {
  t.same(standbyPartitions('omnia-0', members, 2), [2, 3, 4, 5]);
  t.same(standbyPartitions('omnia-0', members, 5), [2, 3, 4, 5], 'a member never keeps a standby of its own tasks');
});

t.test('none asked, alone, or not in the group yet: no standby', async (t) => {
  t.same(standbyPartitions('omnia-0', members, 0), []);
  t.same(standbyPartitions('omnia-0', [{ instance: 'omnia-0', partitions: [0, 1, 2] }], 1), []);
  t.same(standbyPartitions('omnia-9', members, 1), []);
});

t.test('workers of one process (OMNIA_WORKERS): each keeps standbys of another process’s worker, not of its sibling', async (t) => {
  const workers = [
    { instance: 'omnia-0-w1', partitions: [0, 1] },
    { instance: 'omnia-0-w2', partitions: [2, 3] },
    { instance: 'omnia-1-w1', partitions: [4, 5] },
    { instance: 'omnia-1-w2', partitions: [6, 7] },
  ];
  const podOf = (instance: string) => instance.replace(/-w\d+$/, '');
  for (const self of workers) {
    const kept = standbyPartitions(self.instance, workers, 1);
    const owners = workers.filter((member) => member.partitions.some((partition) => kept.includes(partition)));
    t.equal(owners.length, 1, `${self.instance} keeps one member's tasks`);
    t.not(podOf(owners[0]!.instance), podOf(self.instance), `${self.instance} keeps ${owners[0]!.instance}'s, of the other process`);
  }
  const all = workers.flatMap((self) => standbyPartitions(self.instance, workers, 1)).sort();
  t.same(all, [0, 1, 2, 3, 4, 5, 6, 7], 'every partition has exactly one standby');
});
