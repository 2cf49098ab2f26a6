import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { processTree, readCpu, readMemory, readTreeCpu, readTreeMemory, treeOf } from '../../../bench/versus/proc.js';

t.test('a tree is its root, then the children, their children, and nothing beside it', async (t) => {
  const links = [
    { pid: 1, ppid: 0 },
    { pid: 10, ppid: 1 }, // the primary
    { pid: 11, ppid: 10 }, // its workers
    { pid: 12, ppid: 10 },
    { pid: 13, ppid: 11 }, // a worker's own child
    { pid: 20, ppid: 1 }, // a sibling of the primary: not the app's
    { pid: 21, ppid: 20 },
  ];
  t.same(treeOf(10, links), [10, 11, 12, 13]);
  t.same(treeOf(12, links), [12], 'a process without children is a tree of one');
  t.same(treeOf(99, links), [99], 'a pid missing from the listing is still its own root');
  t.same(
    treeOf(5, [
      { pid: 5, ppid: 6 },
      { pid: 6, ppid: 5 },
    ]),
    [5, 6],
    'a cycle in a torn listing ends',
  );
});

t.test("a live process's tree holds its children, and their CPU and memory are in the tree's sums", async (t) => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  await once(child, 'spawn');
  const tree = processTree(process.pid);
  t.equal(tree[0], process.pid);
  t.ok(tree.includes(child.pid!), 'the child is in the tree');
  const own = readCpu(process.pid)!;
  const summed = readTreeCpu(process.pid, tree)!;
  t.ok(summed.user >= own.user && summed.system >= own.system, 'the tree used at least what its root did');
  const memory = readTreeMemory(process.pid, tree)!;
  t.ok(memory.processes >= 2, 'the root and the child were summed');
  t.ok(memory.rssMb >= readMemory(child.pid!)!.rssMb, "the child's RSS is in the sum");
  t.ok(memory.peakRssMb >= memory.rssMb);
  t.equal(readTreeCpu(2 ** 22 + 1), undefined, 'a pid that does not exist has no reading');
});
