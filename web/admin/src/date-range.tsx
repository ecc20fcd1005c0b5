import { DatePicker, type GetProps } from "antd";
import dayjs, { type Dayjs } from "dayjs";

/** The list and statistics APIs take days as YYYY-MM-DD (China days, both ends inclusive). */
export const DAY_FORMAT = "YYYY-MM-DD";

/** What a RangePicker holds: either end may be empty when the filter is open-ended. */
export type DayRange = [Dayjs | null, Dayjs | null] | null | undefined;

/** A picked range → the `from` / `to` query parameters, leaving out an empty end. */
export function dayRangeToQuery(range: DayRange): { from?: string; to?: string } {
  const from = range?.[0]?.format(DAY_FORMAT);
  const to = range?.[1]?.format(DAY_FORMAT);
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/**
 * A list's filter form as its query: the fields that hold something, and the day range `dates` as
 * `from` / `to`.
 */
export function filterQuery<Q>({ dates, ...fields }: { dates?: DayRange } & Record<string, unknown>): Q {
  return {
    ...Object.fromEntries(Object.entries(fields).filter(([, x]) => x)),
    ...dayRangeToQuery(dates),
  } as Q;
}

/** `from` / `to` (YYYY-MM-DD) → a RangePicker value. */
export function dayRangeOf(from: string | undefined, to: string | undefined): [Dayjs | null, Dayjs | null] {
  return [from ? dayjs(from, DAY_FORMAT) : null, to ? dayjs(to, DAY_FORMAT) : null];
}

/**
 * A date filter of the console's lists: antd's RangePicker typed as YYYY-MM-DD, either end may be
 * left empty (only a start, only an end). Used inside a Form.Item, which supplies value/onChange.
 */
export function DayRangeFilter(props: GetProps<typeof DatePicker.RangePicker>) {
  return (
    <DatePicker.RangePicker
      allowEmpty={[true, true]}
      format={DAY_FORMAT}
      placeholder={["开始日期", "结束日期"]}
      style={{ width: 260 }}
      {...props}
    />
  );
}
