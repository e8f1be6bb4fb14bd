import type { IdentityAccount } from "./accounts";

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; }
  main { width: min(26rem, 92vw); padding: 2rem; border: 1px solid color-mix(in srgb, CanvasText 15%, transparent); border-radius: 0.75rem; }
  h1 { font-size: 1.25rem; margin: 0 0 0.25rem; }
  p { margin: 0 0 1.25rem; opacity: 0.75; font-size: 0.9rem; }
  ul { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.5rem; }
  button { width: 100%; text-align: left; padding: 0.75rem 1rem; border-radius: 0.5rem; cursor: pointer; font: inherit;
           border: 1px solid color-mix(in srgb, CanvasText 20%, transparent); background: transparent; color: inherit; }
  button:hover, button:focus-visible { border-color: #2563eb; outline: 2px solid #2563eb; outline-offset: 1px; }
  small { display: block; opacity: 0.7; }
`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** The identity provider's own sign-in page: pick one of its accounts. */
export function renderLoginPage(title: string, action: string, accounts: IdentityAccount[], clientName: string): string {
  const items = accounts
    .map(
      (account) => `<li><form method="post" action="${escape(action)}">
  <input type="hidden" name="account" value="${escape(account.id)}">
  <button type="submit"><strong>${escape(account.name)}</strong> <small>${escape(account.email)} · ${escape(account.description)}</small></button>
</form></li>`,
    )
    .join("");
  return page(
    title,
    `<h1>${escape(title)}</h1><p>Choose who to sign in to ${escape(clientName)} as.</p><ul aria-label="Accounts">${items}</ul>`,
  );
}

export function renderErrorPage(title: string, message: string): string {
  return page(title, `<h1>${escape(title)}</h1><p role="alert">${escape(message)}</p><p><a href="/login">Back to sign-in</a></p>`);
}
