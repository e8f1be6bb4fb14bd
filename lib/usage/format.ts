/** Usage amounts for people: fewer decimals as the numbers grow. */
export const formatAmount = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
