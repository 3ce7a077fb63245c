/**
 * client-node's KubernetesObjectApi serializes and deserializes by its model
 * classes, whose property names differ from the JSON ones where the JSON name
 * is a TypeScript reserved word: NetworkPolicyIngressRule's `from` is `_from`.
 * A plain JSON object (what the constructs render) sent through it loses such
 * a field without a word, and a listed object comes back with `_from`. These
 * two functions map between the JSON and the client's names for the kinds a
 * mail agent owns, so applies carry the field and the watch cache compares
 * like with like.
 */

type Json = Record<string, unknown>;

function mapIngressFrom(obj: Json, from: string, to: string): Json {
  if (obj.kind !== 'NetworkPolicy') return obj;
  const spec = obj.spec as Json | undefined;
  const ingress = spec?.ingress;
  if (!Array.isArray(ingress)) return obj;
  const rules = ingress.map((rule: Json) => {
    if (!(from in rule)) return rule;
    const { [from]: peers, ...rest } = rule;
    return { ...rest, [to]: peers };
  });
  return { ...obj, spec: { ...spec, ingress: rules } };
}

/** Plain Kubernetes JSON -> the shape client-node's serializer expects (it drops unknown names). */
export function toClientModel<T>(obj: T): T {
  return mapIngressFrom(obj as Json, 'from', '_from') as T;
}

/** An object as client-node's list returned it -> plain Kubernetes JSON. */
export function fromClientModel<T>(obj: T): T {
  return mapIngressFrom(obj as Json, '_from', 'from') as T;
}
