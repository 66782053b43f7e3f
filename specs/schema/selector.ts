// Which devices a package, command or access rule applies to.
//   select:
//     ids: ["lg-falcon*", dev-001]        # globs on the device id (hostname)
//     labels: { role: web }              # all must match
//     match:                              # expressions, all must hold
//       - { key: site, in: [bj, sh] }
//       - { key: tier, notIn: [db] }
//       - { key: gpu, exists: true }
// Every condition given must hold; an empty or missing selector selects every device.
import { z } from 'zod';
import { LabelKeySchema, LabelsSchema } from './primitives.js';

export const MatchExpressionSchema = z
  .strictObject({
    key: LabelKeySchema,
    in: z.array(z.union([z.string(), z.number()]).transform(String)).optional(),
    notIn: z.array(z.union([z.string(), z.number()]).transform(String)).optional(),
    exists: z.boolean().optional(),
  })
  .refine((e) => [e.in, e.notIn, e.exists].filter((x) => x !== undefined).length === 1, {
    message: 'an expression needs exactly one of in, notIn or exists',
  });

export const SelectorSchema = z.strictObject({
  ids: z.array(z.string().min(1)).optional(),
  labels: LabelsSchema.optional(),
  match: z.array(MatchExpressionSchema).optional(),
});

export type MatchExpression = z.infer<typeof MatchExpressionSchema>;
export type Selector = z.infer<typeof SelectorSchema>;
