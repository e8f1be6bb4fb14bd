import type { Page } from "playwright-core";

/** Makes a token on the Tokens page as whoever is signed in on `page`, and reads it the one time it is shown. */
export async function tokenFromPage(page: Page, baseUrl: string, name: string, scopes: string[], team?: string): Promise<string> {
  await page.goto(`${baseUrl}/tokens`);
  const form = page.getByRole("form", { name: "New token" });
  await form.getByLabel("Name").fill(name);
  if (team) await form.getByLabel("Team", { exact: true }).selectOption({ label: team });
  for (const box of await form.getByRole("checkbox").all()) await box.setChecked(scopes.includes((await box.getAttribute("value"))!));
  await form.getByRole("button", { name: "Create token" }).click();
  const secret = page.getByLabel("The new token");
  await secret.waitFor();
  return secret.inputValue();
}
