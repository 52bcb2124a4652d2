// The inspector's stylesheet, served as /inspector/assets/inspector.css.
export const stylesheet = `
:root { color-scheme: light; --line: #d8dde3; --muted: #5c6670; --accent: #1f5fbf; font: 14px/1.45 system-ui, sans-serif; }
body { margin: 0; color: #1b2127; background: #f6f7f9; }
header { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; padding: .6rem 1.2rem; background: #1b2127; color: #fff; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
header form { margin-left: auto; }
main { padding: 1rem 1.2rem 2rem; max-width: 1400px; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; word-break: break-all; }
h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { background: #eef1f4; font-weight: 600; }
td.error { color: #8a1c1c; max-width: 28rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
pre { background: #fff; border: 1px solid var(--line); padding: .7rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; background: #fff; border: 1px solid var(--line); padding: .7rem; margin-bottom: .8rem; }
.filters .field { display: flex; flex-direction: column; gap: .15rem; }
.filters label { font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; padding: .3rem .45rem; border: 1px solid #aab3bd; border-radius: 4px; background: #fff; max-width: 100%; box-sizing: border-box; }
button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
button.secondary { background: #fff; color: var(--accent); }
.counts { display: flex; gap: .6rem; margin-bottom: .8rem; flex-wrap: wrap; }
.counts a { text-decoration: none; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: .3rem .7rem; color: inherit; }
.counts strong { font-size: 1.1rem; margin-right: .3rem; }
.state { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: 12px; font-weight: 600; }
.state-pending { background: #fff3c4; color: #6b4e00; }
.state-quarantined { background: #ffe0cc; color: #8a3a00; }
.state-done { background: #d8f3dc; color: #1e5b2b; }
.state-dead { background: #f8d3d3; color: #8a1c1c; }
.state-discarded { background: #e4e7eb; color: #3d4650; }
.marker { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: 12px; font-weight: 600; border: 1px solid #3d4650; color: #3d4650; }
.bar { display: flex; gap: 1rem; align-items: center; margin: .6rem 0; flex-wrap: wrap; }
.muted { color: var(--muted); }
.notice { background: #e8f0fe; border: 1px solid #b6ccf5; padding: .6rem .8rem; margin: .6rem 0; }
.live-refused:empty { display: none; }
.problem { background: #fde8e8; border: 1px solid #f0b4b4; padding: .6rem .8rem; margin: .6rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; background: #fff; border: 1px solid var(--line); padding: .8rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.back { margin: 0 0 .4rem; }
mark { background: #ffd6d6; outline: 2px solid #d33; border-radius: 2px; }
.violation-note { color: #b00; font-weight: 600; }
.key { color: #6a3e9e; }
.sign-in { max-width: 26rem; margin: 4rem auto; background: #fff; border: 1px solid var(--line); padding: 1.5rem; }
.sign-in label { display: flex; flex-direction: column; gap: .3rem; margin-bottom: 1rem; }
/* A phone: the filters one to a line, each delivery a card of labelled lines, nothing wider than the screen. */
@media (max-width: 720px) {
  header, main { padding-left: .7rem; padding-right: .7rem; }
  .filters .field { flex: 1 1 100%; }
  .filters input, .filters select { width: 100%; }
  table.deliveries thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.deliveries, table.deliveries tbody, table.deliveries tr, table.deliveries td { display: block; }
  table.deliveries tr { border-bottom: 1px solid var(--line); padding: .3rem 0; }
  table.deliveries td { border: 0; padding: .1rem .6rem; }
  table.deliveries td::before { content: attr(data-label) ": "; color: var(--muted); font: 12px system-ui, sans-serif; }
  td.error { max-width: none; white-space: normal; }
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: .4rem; }
}
`;
