// Reading an instrument's answers from a form, shared by the self-check (selfcheck.js) and the
// offline screening (visit.js). Each item's inputs are named `a-<linkId>`; the answers have the
// shapes the rule interpreter (rules.js) and the server expect: a list for multiple choice, a
// boolean for yes/no, a number for integers, text otherwise. Unanswered items are left out.

export function answersOf(form, instrument) {
  const answers = {};
  for (const item of instrument.items) {
    if (item.type === "display") continue;
    const inputs = [...form.querySelectorAll(`[name="a-${item.linkId}"]`)];
    if (item.type === "integer" || item.type === "text" || item.type === "string") {
      const raw = (inputs[0] && inputs[0].value.trim()) || "";
      if (raw && item.type === "integer" && /^-?\d+$/.test(raw)) answers[item.linkId] = Number(raw);
      else if (raw && item.type !== "integer") answers[item.linkId] = raw;
      continue;
    }
    const chosen = inputs.filter((input) => input.checked).map((input) => input.value);
    if (item.type === "multiple-choice") {
      if (chosen.length) answers[item.linkId] = chosen;
    } else if (chosen.length) {
      answers[item.linkId] = item.type === "yes-no" ? chosen[0] === "true" : chosen[0];
    }
  }
  return answers;
}
