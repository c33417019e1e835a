// The rule language of screening instruments, evaluated in the browser (offline use).
// The server's interpreter (backend/screening/rules.py) is authoritative; both are tested
// against the same vectors (backend/screening/vectors.json). Keep the two in step.

const SEVERITY_ORDER = { wish: 1, needed: 2, urgent: 3 };
const COMPARISONS = {
  gte: (a, b) => a >= b,
  lte: (a, b) => a <= b,
  gt: (a, b) => a > b,
  lt: (a, b) => a < b,
};

const isInteger = (value) => Number.isInteger(value) && typeof value !== "boolean";
const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

// What an answer adds to a sum: the option's score, or the number itself.
function value(item, answer) {
  if (answer === undefined || answer === null || !item) return 0;
  if (item.type === "choice") {
    const option = item.options.find((o) => o.code === answer);
    return option ? option.score || 0 : 0;
  }
  if (item.type === "multiple-choice") {
    return item.options.filter((o) => answer.includes(o.code)).reduce((sum, o) => sum + (o.score || 0), 0);
  }
  if (item.type === "integer" && isInteger(answer)) return answer;
  return 0;
}

export function holds(condition, answers, items) {
  if (has(condition, "all")) return condition.all.every((c) => holds(c, answers, items));
  if (has(condition, "any")) return condition.any.some((c) => holds(c, answers, items));
  if (has(condition, "not")) return !holds(condition.not, answers, items);
  if (has(condition, "answered")) {
    const answer = answers[condition.answered];
    return !(answer === undefined || answer === null || answer === "" || (Array.isArray(answer) && answer.length === 0));
  }
  if (has(condition, "sum")) {
    const total = condition.sum.reduce((sum, id) => sum + value(items[id], answers[id]), 0);
    return Object.keys(COMPARISONS).some((op) => has(condition, op) && COMPARISONS[op](total, condition[op]));
  }
  const answer = answers[condition.question];
  if (answer === undefined || answer === null) return false;
  if (has(condition, "equals")) return answer === condition.equals;
  if (has(condition, "in")) return condition.in.some((v) => answer === v);
  if (has(condition, "includes")) return Array.isArray(answer) && answer.includes(condition.includes);
  for (const [op, compare] of Object.entries(COMPARISONS)) {
    if (has(condition, op)) return isInteger(answer) && compare(answer, condition[op]);
  }
  return false;
}

function byId(instrument) {
  return Object.fromEntries(instrument.items.map((item) => [item.linkId, item]));
}

// The answers that count: those to items whose enableWhen holds, in item order.
export function enabledAnswers(instrument, answers) {
  const items = byId(instrument);
  const counted = {};
  for (const item of instrument.items) {
    if (!item.enableWhen || holds(item.enableWhen, counted, items)) {
      if (has(answers, item.linkId) && item.type !== "display") counted[item.linkId] = answers[item.linkId];
    }
  }
  return counted;
}

export function enabledItems(instrument, answers) {
  const items = byId(instrument);
  const counted = enabledAnswers(instrument, answers);
  return instrument.items
    .filter((item) => !item.enableWhen || holds(item.enableWhen, counted, items))
    .map((item) => item.linkId);
}

export function evaluate(instrument, answers) {
  const items = byId(instrument);
  const counted = enabledAnswers(instrument, answers);
  const needs = {};
  const rules = [];
  let emergency = false;
  for (const rule of instrument.rules) {
    if (!holds(rule.when, counted, items)) continue;
    rules.push(rule.id);
    emergency = emergency || Boolean(rule.emergency);
    const current = needs[rule.domain];
    if (current === undefined || SEVERITY_ORDER[rule.severity] > SEVERITY_ORDER[current]) {
      needs[rule.domain] = rule.severity;
    }
  }
  return { needs, emergency, rules };
}
