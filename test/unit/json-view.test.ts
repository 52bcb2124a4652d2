// A quarantined body's violations marked at their place in the indented JSON.
import { expect } from 'chai';
import { deepestIndented, markedJson, nestedTooDeeply } from '../../src/inspector/json-view.ts';

const marks = (html: string) =>
  [...html.matchAll(/<mark id="(violation-\d+)" title="([^"]*)">([\s\S]*?)<\/mark>/g)].map((match) => [match[1], match[3]]);

describe('the body with its violations marked', () => {
  it('marks the value a pointer names, escaped keys included, and indents like JSON.stringify', () => {
    const body = JSON.stringify({ type: 'v1.x', data: { 'a/b': { '~c': 'bad' }, list: [1, 'two'] } });
    const html = markedJson(body, [
      { pointer: '/data/a~1b/~0c', message: 'must be an integer' },
      { pointer: '/data/list/1', message: 'must be number' },
    ])!;
    expect(marks(html)).to.deep.equal([
      ['violation-1', '&#34;bad&#34;'],
      ['violation-2', '&#34;two&#34;'],
    ]);
    const text = html
      .replace(/<span class="violation-note"[^>]*>.*?<\/span>/g, '')
      .replace(/<[^>]+>/g, '')
      .replaceAll('&#34;', '"');
    expect(text).to.equal(JSON.stringify(JSON.parse(body), null, 2));
  });

  it('marks the object that lacks a required field, and the whole body for a pointer to it', () => {
    const html = markedJson('{"data":{"x":1}}', [
      { pointer: '/data/conversation_id', message: 'is required' },
      { pointer: '', message: 'must be object' },
    ])!;
    expect([...html.matchAll(/<mark id="(violation-\d+)"/g)].map((match) => match[1])).to.deep.equal(['violation-2', 'violation-1']);
    expect(html).to.contain('title="/data/conversation_id: is required"');
  });

  it('escapes keys and values, and gives nothing for a body that is not JSON', () => {
    const html = markedJson(JSON.stringify({ '<b>': '<script>alert(1)</script>' }), [])!;
    expect(html).not.to.match(/<b>|<script>/);
    expect(markedJson('not json', [])).to.equal(undefined);
  });

  it('indents a body nested as deep as it goes, and gives nothing for one nested deeper, without recursing through it', () => {
    const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}"x"${']'.repeat(depth - 1)}}`;
    expect(markedJson(nested(deepestIndented), [{ pointer: '/a', message: 'must be string' }])).to.contain('<mark');
    expect(nestedTooDeeply(nested(deepestIndented + 1))).to.equal(true);
    expect(markedJson(nested(deepestIndented + 1), [])).to.equal(undefined);
    expect(markedJson(nested(150_000), [])).to.equal(undefined);
    // Brackets inside strings, escaped quotes included, do not count.
    expect(nestedTooDeeply(JSON.stringify({ text: `\\"${'['.repeat(500)}` }))).to.equal(false);
  });
});
