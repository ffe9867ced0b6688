/**
 * A notification's life. `claimed` is a lease held while one worker sends; `released` and `failed`
 * let a later delivery claim it again. After `sent`, SES feedback only moves it forward.
 */
export const NOTIFICATION_STATUSES = [
  "claimed",
  "released",
  "failed",
  "suppressed",
  "sent",
  "delivered",
  "rejected",
  "rendering-failed",
  "bounced",
  "complained",
] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** Statuses a new delivery of the same event may claim again. */
export const RECLAIMABLE_STATUSES: readonly NotificationStatus[] = ["released", "failed"];

/** Statuses listed by the failed-notifications index, for an operator to look at. */
export const FAILURE_STATUSES: readonly NotificationStatus[] = [
  "failed",
  "rejected",
  "rendering-failed",
  "bounced",
];

const FEEDBACK_RANK: Partial<Record<NotificationStatus, number>> = {
  sent: 1,
  delivered: 2,
  rejected: 2,
  "rendering-failed": 2,
  bounced: 3,
  complained: 3,
};

/** The statuses a feedback status may replace: it only ever moves a sent notification forward. */
export function statusesBefore(status: NotificationStatus): NotificationStatus[] {
  const rank = FEEDBACK_RANK[status];
  if (rank === undefined) return [];
  return NOTIFICATION_STATUSES.filter((candidate) => {
    const candidateRank = FEEDBACK_RANK[candidate];
    return candidateRank !== undefined && candidateRank < rank;
  });
}
