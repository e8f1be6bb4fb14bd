import type { ServerResponse } from "node:http";
import { escapeHtml, page, PAGE_STYLE_SRC } from "@/lib/ide/handoff";

// Podspace's own answers on a port's origin: short pages that run nothing.
// The origin belongs to the workspace's app, so nothing here may be more
// than plain HTML, a same-origin form, and a reload.

export interface PortPageOptions {
  /** Reloads the page after this many seconds (a workspace on its way up). */
  refreshSeconds?: number;
  /** A button that POSTs to this same-origin path. */
  form?: { action: string; label: string };
}

export function sendPortPage(response: ServerResponse, status: number, title: string, message: string, options: PortPageOptions = {}) {
  const { refreshSeconds, form } = options;
  const button = form ? `\n<form method="post" action="${escapeHtml(form.action)}"><button type="submit">${escapeHtml(form.label)}</button></form>` : "";
  response
    .writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": `default-src 'none'; ${PAGE_STYLE_SRC}; form-action 'self'; base-uri 'none'`,
      // The Refresh header reloads the page as <meta http-equiv> would, and Retry-After tells a script the same.
      ...(refreshSeconds ? { refresh: String(refreshSeconds), "retry-after": String(refreshSeconds) } : {}),
    })
    .end(page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>${button}`));
}
