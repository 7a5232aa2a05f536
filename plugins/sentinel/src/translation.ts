import {
  createTranslationRef,
  type TranslationFunction,
} from '@backstage/frontend-plugin-api';

/**
 * Every string Sentinel's pages show a person, in English. An app translates them with
 * `createTranslationResource` for {@link sentinelTranslationRef}; `{{name}}` marks an
 * interpolated value, and keys ending in `_one`/`_other` are plural forms (pass `count`).
 */
export const sentinelMessages = {
  common: {
    loading: 'Loading…',
    save: 'Save',
    cancel: 'Cancel',
    delete: 'Delete',
    create: 'Create',
    reload: 'Reload',
    notAllowed: 'You may not do this: {{reason}}',
    noPermission: 'Your role does not include {{permission}}.',
    any: 'any',
    everything: 'everything',
    close: 'Close',
    whyRequired: 'Why (required)',
  },
  entityTab: {
    title: 'Sentinel',
    unmanagedTitle: 'Sentinel does not manage this service yet',
    unmanagedDescription:
      'List the Kubernetes workloads this service runs as in the {{annotation}} annotation of its catalog-info.yaml; Sentinel will then check, apply and roll back the changes an optimizer proposes for them.',
    ignoredReferences_one:
      "Sentinel ignores {{count}} of this service's workload references",
    ignoredReferences_other:
      "Sentinel ignores {{count}} of this service's workload references",
  },
  admin: {
    title: 'Sentinel',
    navTitle: 'Sentinel',
    forbidden:
      "Sentinel's admin page shows policies, freezes and approvals to whoever may read policies (sentinel.policy.read); your role does not.",
    sections: {
      approvals: 'Approvals',
      policy: 'Policy',
      freezes: 'Freezes',
      exceptions: 'Exceptions',
      shadow: 'Shadow mode',
      access: 'Access',
      audit: 'Audit log',
    },
  },
  freezeBanner: {
    frozenTitle: 'Changes are frozen until {{until}}: {{name}}',
    frozenRollbacksFrozen:
      '{{reason}} Rollbacks are frozen too. An admin can break glass for an urgent change.',
    frozenRollbacksAllowed:
      '{{reason}} Rollbacks are still allowed. An admin can break glass for an urgent change.',
    nextTitle: 'Next change freeze: {{name}}, {{from}} to {{until}}',
    breakGlass: 'Break glass',
    dialogTitle: 'Lift the freeze for an urgent change?',
    dialogText:
      'Freeze windows stop applying to {{places}} for the time you set (at most 240 minutes). Every other guardrail still holds. Your reason is on record in the audit trail.',
    minutes: 'For how many minutes',
  },
  planActions: {
    approve: 'Approve',
    reject: 'Reject',
    approveAria: 'Approve plan {{id}}',
    rejectAria: 'Reject plan {{id}}',
    whoMay:
      'Only an admin, or an operator whose group owns every service this plan changes, may decide it.',
    checking: 'Checking what you may do…',
    fourEyes:
      'You submitted this plan, so another person must approve it (four eyes).',
    waitsForMore_one:
      'You approved this plan; it waits for {{count}} more approver.',
    waitsForMore_other:
      'You approved this plan; it waits for {{count}} more approvers.',
    approveTitle: 'Approve this plan',
    rejectTitle: 'Reject this plan',
    approveText:
      "Sentinel applies the plan's {{decisions}} decision(s) once {{approvals}} distinct people have approved it, checking every guardrail again at the moment of apply.",
    rejectText:
      'The plan ends rejected and nothing is applied. Say why, for the optimizer and the audit trail.',
    comment: 'Comment (optional)',
  },
  planDetails: {
    decisions: 'Decisions',
    params: 'Params: {{params}}',
    beforeAfter: 'Before → after: {{before}} → {{after}}',
    why: 'Why: {{rationale}}',
    policy: 'Policy: {{outcome}}',
    verdictAria: 'verdict of decision {{number}}',
    rule: 'rule {{rule}}',
    approvals: 'Approvals ({{approved}} of {{required}})',
    approvalsAria: 'approvals',
    noApprovals: 'Nobody has approved this plan.',
    timeline: 'Timeline',
    timelineAria: 'timeline',
  },
  focusedPlan: {
    title: 'Plan {{id}}: {{status}}',
    subheader: '{{decisions}}, submitted by {{by}} at {{at}}',
  },
  rollouts: {
    title: 'Rollouts in flight',
    canary: 'Canary of {{target}}: {{image}} · {{phase}}',
    blueGreen: 'Blue/green of {{target}}: {{image}} · {{phase}}',
    step: 'Step {{step}} of {{steps}} · {{reason}}',
    weightAria: '{{weight}} % of traffic to the candidate',
    weight: '{{weight}} % to the candidate',
    health: 'Health: {{score}} ({{verdict}})',
    healthNone: 'Health: not analyzed yet',
    seriesAria: '{{metric}} over {{intervals}} intervals',
    whoMay:
      'Only an admin, or an operator whose group owns this service, may steer its rollout.',
    actionAria: {
      pause: 'pause rollout of {{name}}',
      resume: 'resume rollout of {{name}}',
      promote: 'promote rollout of {{name}}',
      abort: 'abort rollout of {{name}}',
    },
    actions: {
      pause: 'pause',
      resume: 'resume',
      promote: 'promote',
      abort: 'abort',
    },
  },
  workloads: {
    title: 'Managed workloads',
    place: 'Cluster / namespace',
    kind: 'Kind',
    name: 'Name',
    replicas: 'Replicas (ready / desired)',
    images: 'Images',
    rollout: 'Rollout',
    rolloutCell: '{{phase}}, {{weight}} % to the candidate',
    health: 'Health',
    lastChange: 'Last change',
    lastChangeAria: 'Last change of {{name}}',
    empty:
      "None of this service's workloads is in a configured cluster yet, or the clusters have not been read since Sentinel started.",
  },
  rollback: {
    button: 'Roll back',
    buttonAria: 'Roll back {{name}}',
    title: 'Roll back {{ref}}?',
    text: 'Sentinel restores the workload as it was before its last applied change, as a plan of its own that you can follow below. A change someone made since then is not overwritten.',
    whoMay:
      'Only an admin, or an operator whose group owns this service, may roll it back.',
  },
  overview: {
    title: 'Sentinel',
    openTab: 'Open the Sentinel tab',
    freeze: 'Change freeze',
    rollouts: 'Rollouts',
    approvals: 'Approvals',
    lastChange: 'Last change',
    frozen: 'Frozen until {{until}}: {{name}}',
    notFrozen: 'Not frozen',
    noRollouts: 'No rollout in flight',
    noApprovals: 'No plan waits for approval',
    waiting_one: '{{count}} plan waits for approval',
    waiting_other: '{{count}} plans wait for approval',
    noChange: 'No change applied yet',
    dashboards: 'Dashboards',
  },
  grafana: {
    title: 'Grafana dashboards',
    canary: 'Canary analysis of {{workload}}',
    rollbacks: 'Rollbacks of {{workload}}',
  },
  approvals: {
    title: 'Waiting for approval',
    empty:
      'No plan waits for a decision you may take. Plans that a policy sends to a person show here, across every service.',
  },
  plans: {
    title: 'Action plans',
    service: 'Service',
    submitted: 'Submitted',
    source: 'Source',
    decisions: 'Decisions',
    status: 'Status',
    why: 'Why',
    decide: 'Decide',
    filterLabel: 'Status',
    filterAria: 'Filter plans by status',
    emptyFiltered: 'No {{status}} plans.',
    emptyForService:
      'No action plans for this service yet. Plans an optimizer submits for these workloads will show here, with their policy verdicts, approvals and rollbacks.',
    emptyAll: 'No action plans yet.',
  },
  policy: {
    editorTitle: 'Policy document',
    editorHelp:
      'The rules every plan is checked against, in YAML (docs/policies.md). Changes apply to plans evaluated after you save.',
    editorAria: 'Policy document (YAML)',
    version: 'Version {{version}}, saved by {{by}} at {{at}}',
    problems: 'Fix these before saving',
    valid: 'The draft is a valid policy document.',
    unchanged: 'No changes to save.',
    saved: 'Saved as version {{version}}.',
    conflict:
      'Version {{version}} was saved by {{by}} at {{at}} while you edited. Your draft is kept; the diff below shows it against that version. Save again to replace it.',
    saveDisabledProblems: 'The draft has problems; fix them first.',
    saveDisabledPermission:
      'Only admins may change the policy (sentinel.policy.update).',
    dryRunTitle: 'Dry run against the draft',
    dryRunHelp:
      'The verdicts this plan would get under the draft, with the live freezes, recent changes and workloads. Nothing is stored.',
    dryRunAria: 'Sample plan (YAML or JSON)',
    dryRun: 'Dry run',
    dryRunOutcome: 'Outcome: {{outcome}}',
    dryRunNoReasons: 'no rule objects',
    historyTitle: 'History',
    historyFrom: 'From version',
    historyTo: 'To version',
    historyEmpty: 'Only one version so far.',
    noDifference: 'The two versions are the same.',
    folded_one: '… {{count}} unchanged line',
    folded_other: '… {{count}} unchanged lines',
  },
  freezes: {
    calendarTitle: 'The next four weeks',
    calendarAria: 'Freeze calendar of the next four weeks',
    listTitle: 'Freeze windows',
    name: 'Name',
    reason: 'Reason',
    scope: 'Scope',
    when: 'When',
    rollbacks: 'Rollbacks',
    rollbacksAllowed: 'allowed',
    rollbacksFrozen: 'frozen',
    createdBy: 'Created by',
    empty:
      'No freeze windows. Create one for a release, a holiday or every weekend.',
    newWindow: 'New freeze window',
    oneOff: 'Once',
    recurring: 'Recurring',
    start: 'Start',
    end: 'End',
    cron: 'Starts at (cron)',
    cronHelp: 'Five fields, e.g. 0 16 * * 5 for Fridays at 16:00',
    durationMinutes: 'Lasts (minutes)',
    timezone: 'Time zone',
    cluster: 'Cluster',
    namespace: 'Namespace',
    entityRef: 'Service (entity ref)',
    scopeHelp: 'Leave all three empty to freeze everything.',
    allowRollback: 'Allow rollbacks during the freeze',
    created: 'Freeze window "{{name}}" created.',
    deleteConfirm: 'Delete the freeze window "{{name}}"?',
    manageDisabled:
      'Only admins may create or delete freezes (sentinel.freeze.manage).',
    overridesTitle: 'Break-glass overrides in force',
    overridesEmpty: 'No override is in force: every freeze applies.',
    overrideUntil: 'until {{at}}',
    overrideMinutes: 'Minutes',
    overrideMinutesHelp: 'at most 240',
    breakGlass: 'Break glass',
  },
  exceptions: {
    title: 'Policy exceptions',
    help: 'An exception lifts named rules for a scope until it expires, with a ticket on record. It is part of the policy document: adding or removing one saves a new version.',
    id: 'Id',
    rules: 'Lifts rules',
    ticket: 'Ticket',
    expires: 'Expires',
    expired: 'expired',
    empty: 'No exceptions: every rule applies everywhere.',
    add: 'Add exception',
    rulesHelp: 'Rule ids, separated by commas',
    expiresHelp: 'When the exception stops applying',
    added: 'Exception {{id}} added (policy version {{version}}).',
    removed: 'Exception {{id}} removed (policy version {{version}}).',
  },
  shadow: {
    title: 'Shadow mode',
    help: 'In shadow mode every plan is checked and recorded, and nothing is applied: the way to try a new optimizer or a new policy on real plans. Plans end as "simulated" and show what would have happened.',
    on: 'Shadow mode is on: plans are evaluated and recorded, never applied.',
    off: 'Shadow mode is off: allowed plans are applied.',
    switchLabel: 'Run every plan in shadow mode',
    forcedByConfig:
      'Shadow mode may also be forced on by sentinel.shadowMode in app-config; the switch here is stored in the policy document.',
    recent: 'Recent simulated plans',
    changed: 'Shadow mode {{state}} (policy version {{version}}).',
    stateOn: 'switched on',
    stateOff: 'switched off',
  },
  access: {
    title: 'Role bindings',
    help: 'Who holds which role. Refs are catalog users or groups (user:default/alice, group:default/team-shop) or service:<subject> for external-access principals. Operators act only on services their groups own.',
    role: 'Role',
    holders: 'Held by',
    holdersAria: '{{role}} role holders, one ref per line',
    defaultRole: 'Everyone else who signs in',
    defaultNone: 'no role (no access)',
    comment: 'Why (recorded with the change)',
    saved: 'Role bindings saved (version {{version}}).',
    conflict:
      'Someone changed the role bindings since you loaded them; reload and apply your change again.',
    version: 'Version {{version}}, changed by {{by}} at {{at}}',
  },
  audit: {
    title: 'Audit log',
    at: 'At',
    actor: 'Actor',
    action: 'Action',
    outcome: 'Outcome',
    subject: 'Service / plan',
    reason: 'Reason',
    filterActor: 'Actor',
    filterEntity: 'Service (entity ref)',
    filterAction: 'Action',
    filterFrom: 'From',
    filterTo: 'To',
    empty: 'No audit events match these filters.',
    more: 'Load more',
  },
} as const;

/** Sentinel's strings, for `useTranslationRef` and app translations. */
export const sentinelTranslationRef = createTranslationRef({
  id: 'plugin.sentinel',
  messages: sentinelMessages,
});

/** The translation function of {@link sentinelTranslationRef}, for pure helpers that word things. */
export type SentinelTranslate = TranslationFunction<
  typeof sentinelTranslationRef.T
>;
