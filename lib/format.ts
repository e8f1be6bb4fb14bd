// Numbers as people read them on pages and in messages, server and browser alike.

/** At most two decimals, without trailing zeros: 1, 1.5, 0.25. */
export const formatNumber = (value: number) => String(Math.round(value * 100) / 100);

/** "1 workspace", "2,000 workspaces". */
export const plural = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString("en")} ${count === 1 ? one : many}`;
