// The development loop as a newcomer meets it, with real processes in a copy of the project:
// readable logs on a terminal, a busy port, `npm start` stopped through npm, and `npm run dev`.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually } from '../support/eventually.ts';
import { childEnvironment, freePort, run, useTemporaryDirectory } from '../support/process.ts';
import { copyProject, type ProjectCopy } from '../support/project-copy.ts';

/** Starts `command` in a process group of its own, collecting everything it prints. */
function startGroup(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(command, args, { cwd, env: childEnvironment(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  return { child, output: () => output, exited, stopGroup: () => stopGroup(child, exited) };
}

async function stopGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    return; // already gone
  }
  await exited;
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the development loop', function () {
  this.timeout(90_000);
  const temporaryDirectory = useTemporaryDirectory('ada-development-');
  let project: ProjectCopy;
  beforeEach(() => {
    project = copyProject(temporaryDirectory());
  });

  it('prints readable lines on a terminal and JSON when piped; LOG_FORMAT forces either', async () => {
    const onTerminal = async (env: Record<string, string>) => {
      // `script` runs the receiver with a pseudo-terminal as its standard output.
      const receiver = startGroup('script', ['-qec', `${process.execPath} ${project.main}`, '/dev/null'], project.root, {
        PORT: '0',
        ...env,
      });
      await eventually(() => receiver.output().includes('receiver listening on'), 15_000);
      await receiver.stopGroup();
      return receiver.output();
    };
    const readable = await onTerminal({});
    expect(readable).to.match(/\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*receiver listening on http:\/\/127\.0\.0\.1:\d+\/webhooks\/ada/);
    expect(readable).to.not.include('{"level"');
    expect(await onTerminal({ LOG_FORMAT: 'json' })).to.include('{"level":30');

    const piped = startGroup(process.execPath, [project.main], project.root, { PORT: '0', LOG_FORMAT: 'pretty' });
    await eventually(() => piped.output().includes('receiver listening on'), 15_000);
    await piped.stopGroup();
    expect(piped.output())
      .to.match(/INFO.*: receiver listening on/)
      .and.not.include('{"level"');
  });

  it('says in one line that the port is in use, and exits 1', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const { code, stdout, stderr } = await run(project.main, [], project.root, { PORT: String(port) });
      expect(code).to.equal(1);
      expect(stderr).to.equal(`Port ${port} on 127.0.0.1 is in use; set PORT to another port, or stop the process that holds it.\n`);
      expect(stdout).to.not.include('EADDRINUSE');
    } finally {
      holder.close();
    }
  });

  it('says in one line what to change for any other listen error, and exits 1', async () => {
    const cases = [
      [{ HOST: '1.2.3.4' }, 'Cannot listen on 1.2.3.4:3000: 1.2.3.4 is not an address of this machine; set HOST to one of its addresses'],
      [{ HOST: 'no-such-host.invalid' }, 'Cannot listen on no-such-host.invalid:3000: the host name no-such-host.invalid does not resolve'],
    ] as const;
    for (const [env, line] of cases) {
      const { code, stdout, stderr } = await run(project.main, [], project.root, { PORT: '3000', ...env });
      expect(code, JSON.stringify(env)).to.equal(1);
      expect(stderr).to.match(new RegExp(`^${line.replaceAll('.', '\\.')}[^\n]*\n$`));
      expect(`${stdout}${stderr}`).to.not.include('    at ');
    }
  });

  it('stops `npm start` when npm is stopped with a signal, freeing the port', async () => {
    const port = await freePort();
    const npm = startGroup('npm', ['start'], project.root, { PORT: String(port), LOG_FORMAT: 'json' });
    await eventually(() => npm.output().includes('receiver listening on'), 30_000);
    const listening = npm
      .output()
      .split('\n')
      .find((line) => line.includes('receiver listening on'))!;
    const receiverPid = (JSON.parse(listening) as { pid: number }).pid;

    npm.child.kill('SIGTERM'); // npm alone, as a process manager or `kill` would
    await eventually(() => !isRunning(receiverPid), 10_000);
    expect(
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => 'answered',
        () => 'closed',
      ),
    ).to.equal('closed');
    await npm.stopGroup();
  });

  it('`npm run dev` handles a delivery, restarts on a change, handles one again, and reports a handler that does not compile', async () => {
    const dev = startGroup(process.execPath, [project.script('dev')], project.root, { PORT: '0', LOG_FORMAT: 'json' });
    /** The port of the receiver's latest start, once it has started `starts` times. */
    const listeningPort = async (starts: number) => {
      await eventually(() => dev.output().split('receiver listening on').length > starts, 60_000);
      const lines = dev
        .output()
        .split('\n')
        .filter((line) => line.includes('receiver listening on'));
      return (JSON.parse(lines.at(-1)!) as { port: number }).port;
    };
    /** Sends an example with `npm run send` and waits until the receiver logs its handler's run. */
    const sendAndSeeHandled = async (port: number) => {
      const sent = await run(project.script('send'), ['v1.conversation.created'], project.root, { PORT: String(port) });
      expect(sent.code, sent.stderr).to.equal(0);
      const id = /^(msg_\w+) -> 200/m.exec(sent.stdout)![1]!;
      await eventually(
        () =>
          dev
            .output()
            .split('\n')
            .some((line) => line.includes(id) && line.includes('"msg":"handled"')),
        15_000,
      );
    };
    try {
      await eventually(() => /Found 0 errors/.test(dev.output()), 60_000);
      await sendAndSeeHandled(await listeningPort(1));

      const handlers = join(project.root, 'src', 'handlers', 'index.ts');
      writeFileSync(handlers, `${readFileSync(handlers, 'utf8')}\nexport const broken: number = 'not a number';\n`);
      await eventually(() => /src\/handlers\/index\.ts\(\d+,\d+\): error TS2322/.test(dev.output()), 60_000);
      await sendAndSeeHandled(await listeningPort(2));
      expect(dev.output()).to.not.include('Failed running');
    } finally {
      await dev.stopGroup();
    }
  });
});
