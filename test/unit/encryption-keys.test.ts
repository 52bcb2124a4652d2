// The keys of an encrypted inbox: read from INBOX_ENCRYPTION_KEY (or the encryptionKey option) as
// the signing secrets are, each refused entry named and never shown; and the data keys they wrap,
// each wrapping bound to its row and opened by any key of the rotation.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { EncryptionKeys, parseEncryptionKeys, readEncryptionKeys, wrappingKeyId } from '../../src/inbox/encryption/keys.ts';
import { Invalid, SettingsReader } from '../../src/support/settings-reader.ts';

const keyText = () => randomBytes(32).toString('base64');
const row = { id: 'dk_1', owner: 'end_user:u1' };

function problemsReading(source: Record<string, unknown>, naming: 'variable' | 'option'): string[] {
  const reader = new SettingsReader(source, naming);
  readEncryptionKeys(reader);
  return reader.problems;
}

describe('encryption keys', () => {
  it('reads one key or several, the first to write, and none as no encryption', () => {
    const [first, second] = [keyText(), keyText()];
    const keys = new SettingsReader({ INBOX_ENCRYPTION_KEY: ` ${first} , ${second},` }, 'variable');
    const read = readEncryptionKeys(keys)!;
    expect(read.ids).to.have.length(2);
    expect(read.writing.key.export().toString('base64')).to.equal(first);
    expect(read.ids[0])
      .to.equal(read.writing.id)
      .and.match(/^[0-9a-f]{16}$/);
    expect(readEncryptionKeys(new SettingsReader({ encryptionKey: [first, second] }, 'option'))!.ids).to.deep.equal(read.ids);
    expect(readEncryptionKeys(new SettingsReader({}, 'variable'))).to.equal(undefined);
    expect(readEncryptionKeys(new SettingsReader({ INBOX_ENCRYPTION_KEY: ' ' }, 'variable'))).to.equal(undefined);
  });

  it('names the entry it refuses and why, suggests how to make a key, and never shows one', () => {
    const good = keyText();
    const cases: [string, string][] = [
      [`${good},${randomBytes(16).toString('base64')}`, 'entry 2 holds 16 bytes, not 32'],
      [`${good.slice(0, -2)}!=`, 'entry 1 is not base64'],
      [`${good},whsec_${good}`, 'entry 2 is a signing secret, not a key'],
      [randomBytes(32).toString('hex'), 'entry 1 is 32 bytes in hex (openssl rand -hex 32), not in base64'],
      [`${good},${good}`, 'entry 2 repeats entry 1'],
      [`${good.slice(0, -2)}B=`, 'entry 1 is not base64'],
    ];
    for (const [value, problem] of cases) {
      const [message] = problemsReading({ INBOX_ENCRYPTION_KEY: value }, 'variable');
      expect(message).to.include(`INBOX_ENCRYPTION_KEY must be keys of 32 random bytes in base64, as \`openssl rand -base64 32\``);
      expect(message).to.include(problem).and.include(`got ${value.length} characters (not shown)`);
      expect(message).to.not.include(good.slice(0, 8));
    }
    expect(parseEncryptionKeys(', ,')).to.deep.equal(new Invalid('lists no key, only separators'));
    const [optionMessage] = problemsReading({ encryptionKey: 'c2hvcnQ=' }, 'option');
    expect(optionMessage).to.match(
      /^encryptionKey must be keys .* entry 1 holds 5 bytes, not 32, got 8 characters \(not shown\)\. Example: encryptionKey: "<the output of openssl rand -base64 32>"$/,
    );
  });

  it('gives each key an id of its own that does not reveal it', () => {
    const texts = Array.from({ length: 50 }, keyText);
    const ids = (parseEncryptionKeys(texts.join(',')) as EncryptionKeys).ids;
    expect(new Set(ids).size).to.equal(50);
    for (const [index, id] of ids.entries()) expect(texts[index]).to.not.include(id);
  });

  it('wraps a data key for its row alone, and opens it with any key given, the old one after a new one', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const dataKey = randomBytes(32);
    const before = new EncryptionKeys([oldKey]);
    const wrapped = before.wrap(dataKey, row);
    expect(wrapped).to.not.include(dataKey.toString('base64url'));
    expect(wrappingKeyId(wrapped)).to.equal(before.writing.id);
    expect(before.unwrap(wrapped, row)).to.deep.equal({ key: dataKey });

    const rotating = new EncryptionKeys([newKey, oldKey]);
    expect(rotating.unwrap(wrapped, row)).to.deep.equal({ key: dataKey });
    const rewrapped = rotating.wrap(dataKey, row);
    expect(wrappingKeyId(rewrapped)).to.equal(rotating.writing.id).and.not.equal(before.writing.id);
    expect(new EncryptionKeys([newKey]).unwrap(rewrapped, row)).to.deep.equal({ key: dataKey });

    expect(new EncryptionKeys([newKey]).unwrap(wrapped, row)).to.deep.equal({
      failure: { reason: 'missing key', keyId: before.writing.id },
    });
    for (const other of [
      { ...row, id: 'dk_2' },
      { ...row, owner: 'end_user:u2' },
    ]) {
      expect(before.unwrap(wrapped, other)).to.deep.equal({ failure: { reason: 'tampered', keyId: before.writing.id } });
    }
    for (let index = 0; index < wrapped.length; index += 1) {
      const flipped = wrapped.slice(0, index) + (wrapped[index] === 'A' ? 'B' : 'A') + wrapped.slice(index + 1);
      expect(before.unwrap(flipped, row), `a byte flipped at ${index}`).to.have.property('failure');
    }
  });
});
