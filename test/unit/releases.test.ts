import { expect } from 'chai';
import { Releases } from '../../src/support/releases.ts';

describe('releases of what a composition opened', () => {
  it('releases last first, each once', async () => {
    const released: string[] = [];
    const releases = new Releases();
    expect(releases.adopt('inbox', (name) => released.push(name))).to.equal('inbox');
    releases.adopt('forwarder', async (name) => void released.push(name));
    releases.defer(() => released.push('timer'));
    await releases.releaseAll();
    await releases.releaseAll();
    expect(released).to.deep.equal(['timer', 'forwarder', 'inbox']);
  });

  it('releases the rest when one fails, then throws its failure, or all of them when several fail', async () => {
    const released: string[] = [];
    const one = new Releases();
    one.adopt('inbox', (name) => released.push(name));
    one.defer(() => {
      throw new Error('the broker would not close');
    });
    await one.releaseAll().then(
      () => expect.fail('a failure to release is thrown'),
      (error: unknown) => expect((error as Error).message).to.equal('the broker would not close'),
    );
    expect(released).to.deep.equal(['inbox']);

    const several = new Releases();
    for (const name of ['a', 'b']) several.defer(() => Promise.reject(new Error(`${name} failed`)));
    await several.releaseAll().then(
      () => expect.fail('failures to release are thrown'),
      (error: unknown) => {
        expect(error).to.be.instanceOf(AggregateError);
        expect((error as AggregateError).errors.map((each: Error) => each.message)).to.deep.equal(['b failed', 'a failed']);
      },
    );
  });
});
