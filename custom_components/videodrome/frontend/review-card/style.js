// The review card's style sheet (it follows Home Assistant's theme variables).

export const STYLE = `
  :host { display: block; }
  ha-card { overflow: hidden; }
  .header { display: flex; align-items: center; gap: 8px; padding: 16px 16px 8px;
    font-size: var(--ha-card-header-font-size, 1.5em); color: var(--ha-card-header-color, var(--primary-text-color)); }
  .title { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .count { font-size: 0.6em; min-width: 1.6em; text-align: center; padding: 2px 8px; border-radius: 999px;
    background: var(--primary-color); color: var(--text-primary-color, #fff); }
  .content { padding: 0 16px 16px; color: var(--primary-text-color); }
  .queue { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 280px), 1fr)); gap: 12px; }
  .tile { display: flex; flex-direction: column; gap: 8px; padding: 10px; border-radius: 12px;
    border: 1px solid var(--divider-color, rgba(0,0,0,.12)); background: var(--secondary-background-color, transparent); min-width: 0; }
  .tile-top { display: flex; gap: 10px; min-width: 0; }
  .poster { width: 92px; aspect-ratio: 2 / 3; object-fit: cover; border-radius: 8px; flex: none;
    background: var(--divider-color, #ccc); }
  .poster.none, .thumb.none { display: flex; align-items: center; justify-content: center; font-size: 2em; }
  .tile-info { display: flex; flex-direction: column; gap: 4px; min-width: 0; }
  .file { font-family: var(--code-font-family, monospace); font-size: 0.85em; word-break: break-all;
    color: var(--secondary-text-color); }
  .best { font-weight: 500; }
  .confidence { font-size: 0.9em; color: var(--secondary-text-color); }
  .reasons { display: flex; flex-wrap: wrap; gap: 4px; }
  .chip { font-size: 0.75em; padding: 1px 8px; border-radius: 999px; background: var(--warning-color, #ff9800);
    color: var(--text-primary-color, #fff); }
  .candidates { display: flex; flex-direction: column; gap: 4px; }
  .qualities { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; font-size: 0.9em; }
  .q-side { display: flex; flex-direction: column; }
  .q-name { font-size: 0.8em; color: var(--secondary-text-color); }
  .candidate { display: flex; align-items: center; gap: 8px; text-align: start; width: 100%; padding: 4px;
    border-radius: 8px; border: 1px solid transparent; background: none; color: inherit; font: inherit; cursor: pointer; }
  button.candidate:hover { background: var(--divider-color, rgba(0,0,0,.06)); }
  div.candidate { cursor: default; }
  .candidate.chosen { border-color: var(--primary-color); }
  .thumb { width: 36px; aspect-ratio: 2 / 3; object-fit: cover; border-radius: 4px; flex: none;
    background: var(--divider-color, #ccc); font-size: 1em; }
  .c-text, .r-text { display: flex; flex-direction: column; min-width: 0; flex: 1; }
  .c-title, .r-title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .c-meta, .r-meta { font-size: 0.8em; color: var(--secondary-text-color); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .actions { display: flex; gap: 8px; margin-top: auto; }
  .actions button { flex: 1; min-height: 40px; border-radius: 20px; font: inherit; font-weight: 500; cursor: pointer;
    padding: 0 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .approve { border: none; background: var(--primary-color); color: var(--text-primary-color, #fff); }
  .reject { background: none; border: 1px solid var(--error-color, #db4437); color: var(--error-color, #db4437); }
  button:disabled { opacity: 0.5; cursor: default; }
  button:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 2px; }
  .message { padding: 8px 0; color: var(--secondary-text-color); }
  .message.error { color: var(--error-color, #db4437); }
  .message.offline { color: var(--warning-color, #ff9800); }
  .message.read-only { padding-top: 0; font-size: 0.9em; }
  .more { padding-top: 8px; color: var(--secondary-text-color); font-size: 0.9em; }
  .recent h3 { font-size: 1em; font-weight: 500; margin: 16px 0 8px; }
  .recent ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
  .recent-item { display: flex; align-items: center; gap: 10px; min-width: 0; }
  .status { flex: none; font-size: 0.75em; padding: 2px 8px; border-radius: 999px; white-space: nowrap;
    border: 1px solid currentColor; }
  .status.ok { color: var(--success-color, #43a047); }
  .status.bad { color: var(--error-color, #db4437); }
  .status.neutral { color: var(--secondary-text-color); }
  @media (max-width: 450px) {
    .content { padding: 0 12px 12px; }
    .poster { width: 72px; }
    .status { max-width: 40%; overflow: hidden; text-overflow: ellipsis; }
  }
`;
