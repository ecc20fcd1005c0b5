import { describe, expect, it } from "vitest";
import { createTitleLookup, type TitleSuggestion } from "./title-lookup";

/** A scheduler the test runs by hand: no timers, no waiting. */
function manual() {
  let queued: Array<{ fn: () => void; cancelled: boolean }> = [];
  return {
    schedule: (fn: () => void) => {
      const task = { fn, cancelled: false };
      queued.push(task);
      return () => {
        task.cancelled = true;
      };
    },
    /** The debounce elapses: what is still scheduled runs. */
    elapse() {
      const due = queued.filter((t) => !t.cancelled);
      queued = [];
      for (const t of due) t.fn();
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(
  answer: (q: string) => Promise<TitleSuggestion[]> = async (q) => [{ name: `${q}有限公司`, taxId: "X" }],
) {
  const clock = manual();
  const asked: string[] = [];
  const shown: Array<[string[], string]> = [];
  const lookup = createTitleLookup({
    search: (q) => {
      asked.push(q);
      return answer(q);
    },
    show: (found, q) => shown.push([found.map((f) => f.name), q]),
    schedule: clock.schedule,
  });
  return { lookup, clock, asked, shown };
}

describe("title lookup", () => {
  it("asks from the 2nd character, once typing pauses, only for the latest text", async () => {
    const { lookup, clock, asked, shown } = setup();
    lookup.input("杭");
    clock.elapse();
    expect(asked).toEqual([]);
    lookup.input("杭州");
    lookup.input("杭州示");
    lookup.input("杭州示例");
    clock.elapse();
    await flush();
    expect(asked).toEqual(["杭州示例"]);
    expect(shown.at(-1)).toEqual([["杭州示例有限公司"], "杭州示例"]);
    // The same text again (a blur and refocus, say) is not asked twice.
    lookup.input("杭州示例 ");
    clock.elapse();
    expect(asked).toEqual(["杭州示例"]);
  });

  it("does not ask while an IME composition is under way, and asks with the composed text", async () => {
    const { lookup, clock, asked } = setup();
    lookup.input("杭州");
    lookup.compositionStart();
    lookup.input("杭州s");
    lookup.input("杭州shi'li");
    clock.elapse();
    expect(asked).toEqual([]);
    lookup.compositionEnd("杭州示例");
    clock.elapse();
    await flush();
    expect(asked).toEqual(["杭州示例"]);
  });

  it("drops an answer that arrives after the text changed or a title was picked; hides on too-short text", async () => {
    const resolvers: Array<(v: TitleSuggestion[]) => void> = [];
    const { lookup, clock, shown } = setup(() => new Promise((r) => resolvers.push(r)));
    lookup.input("上海");
    clock.elapse();
    lookup.input("上海示例");
    clock.elapse();
    resolvers[1]!([{ name: "上海示例信息技术有限公司", taxId: "Y" }]);
    resolvers[0]!([{ name: "上海某公司", taxId: "Z" }]);
    await flush();
    expect(shown).toEqual([[["上海示例信息技术有限公司"], "上海示例"]]);
    lookup.input("上");
    expect(shown.at(-1)).toEqual([[], "上"]);
    lookup.input("上海");
    clock.elapse();
    lookup.close();
    resolvers[2]!([{ name: "迟到的公司", taxId: "W" }]);
    await flush();
    expect(shown.at(-1)).toEqual([[], "上"]);
  });

  it("shows nothing when the lookup fails", async () => {
    const { lookup, clock, shown } = setup(() => Promise.reject(new Error("offline")));
    lookup.input("北京");
    clock.elapse();
    await flush();
    expect(shown).toEqual([[[], "北京"]]);
  });
});
