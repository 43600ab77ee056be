// Package access is Libretto's one table of who may do what (SPEC §1, §5,
// §6): for every command and read, which roles may do it and, for a
// citizen, in which relation to the data (their own booklet, their own
// claim, their own statement). Both http/api and http/portal ask it, and the
// commands that check ownership against the event store ask it too, so a
// rule is written once.
//
// It is pure: no I/O, no net/http. It imports domain (for the canonical
// codice fiscale) and nothing else of ours.
package access

import (
	"slices"

	"github.com/inps/libretto/domain"
)

// Role is a role a token or a login holds (SPEC §1). The values are the
// tokens' role names, the same strings as commands.Role.
type Role string

// The roles of SPEC §1.
const (
	Citizen  Role = "citizen"
	Operator Role = "operator"
	Auditor  Role = "auditor"
	System   Role = "system"
)

// Roles are every role, in the order a request with several picks the role
// it acts under: the widest reader first, the citizen last, so a person who
// is also an operator reads as an operator and records a service as a
// citizen (the only role that may).
var Roles = []Role{Operator, Auditor, System, Citizen}

// Relation is how the caller stands to the data an action touches.
type Relation string

// The relations. A person's CF is compared canonically (upper-case, as
// stored): see RelationOf.
const (
	// Owner: the data is the caller's as user (utilizzatore) — their booklet,
	// its services, their family's dashboard.
	Owner Relation = "owner"
	// Heir: the caller is the heir of the claim.
	Heir Relation = "heir"
	// Worker: the caller is the worker (prestatore) the data is about.
	Worker Relation = "worker"
	// Delegate: the caller acts with X-On-Behalf-Of for the person the data
	// belongs to (in the relation a citizen's rule of the action names),
	// under a delegation of theirs that is active and covers the action's
	// scope (SPEC §9). See RelationFor.
	Delegate Relation = "delegate"
	// Stranger: none of the above.
	Stranger Relation = "stranger"
)

// Relations are every relation, for walking the table.
var Relations = []Relation{Owner, Heir, Worker, Delegate, Stranger}

// Action is a command or a read of SPEC §5 and §6.
type Action string

// The actions. Commands are named as the commands package names them.
const (
	RegisterUser       Action = "RegisterUser"
	RegisterWorker     Action = "RegisterWorker"
	RecordDeposit      Action = "RecordDeposit"
	CreditDeposit      Action = "CreditDeposit"
	IssueNotice        Action = "IssueNotice" // a pagoPA notice to top up the caller's booklet
	RecordService      Action = "RecordService"
	RevokeService      Action = "RevokeService"
	RegisterHeir       Action = "RegisterHeir"
	RequestRefund      Action = "RequestRefund"
	InsertPriorService Action = "InsertPriorService"
	ValidateHeir       Action = "ValidateHeir"
	RejectHeir         Action = "RejectHeir"
	ApproveRefund      Action = "ApproveRefund"
	RejectRefund       Action = "RejectRefund"
	MarkRefundPaid     Action = "MarkRefundPaid"
	ReverseService     Action = "ReverseService"
	CorrectDateOfDeath Action = "CorrectDateOfDeath"
	RunPayroll         Action = "RunPayroll"
	FeedFamily         Action = "FeedFamily" // ISEE, children, applications and their status, benefit payments
	GrantDelegation    Action = "GrantDelegation"
	RevokeDelegation   Action = "RevokeDelegation"

	ReadOwnClaims    Action = "ReadOwnClaims" // GET /heir-claims: the caller's claims
	ReadClaim        Action = "ReadClaim"
	ReadClaimHistory Action = "ReadClaimHistory"
	ReadWill         Action = "ReadWill"
	ReadWorklist     Action = "ReadWorklist"
	ReadStatement    Action = "ReadStatement"
	ReadPayslip      Action = "ReadPayslip"
	ReadOwnNotices   Action = "ReadOwnNotices" // GET /deposits/notices: the caller's open notices
	ReadNotice       Action = "ReadNotice"
	ReadDashboard    Action = "ReadDashboard"
	ReadDelegations  Action = "ReadDelegations" // GET /delegations: those the caller granted and received
	ReadHeirBooklet  Action = "ReadHeirBooklet" // the deceased's deposits and services, through a claim
	ReadFamily       Action = "ReadFamily"
	AuditStream      Action = "AuditStream"
	AuditReplay      Action = "AuditReplay"
	AuditVerify      Action = "AuditVerify"

	// The person's own contact data and notification inbox (SPEC §9).
	ManageContacts    Action = "ManageContacts"    // GET, PUT /me/contacts and its verification
	ReadNotifications Action = "ReadNotifications" // GET /notifications, marking one read

	// Open to anyone, without a token.
	Simulate      Action = "Simulate"      // the AUU and bonus nido simulators and their parameters
	AskAssistant  Action = "AskAssistant"  // the virtual assistant
	Probe         Action = "Probe"         // /healthz, /readyz, /metrics
	IssueDevToken Action = "IssueDevToken" // POST /dev/token, development mode only
	SignIn        Action = "SignIn"        // the portal's home, login and logout
)

// anyRelation is the rule of a role that may act whatever its relation to
// the data.
var anyRelation = []Relation{Owner, Heir, Worker, Delegate, Stranger}

// table is the rule: for each action, the roles that may do it and the
// relations in which they may. A role absent from an action's row may not
// do it at all (403); a role present but not with the caller's relation
// finds nothing (404, SPEC §1). Operators and auditors act on anyone's data;
// an operator acting on their own file is refused by the command
// (conflict_of_interest, SPEC §8), not here.
var table = map[Action]map[Role][]Relation{
	RegisterUser:       {Citizen: {Owner}},
	RegisterWorker:     {Citizen: {Worker}},
	RecordDeposit:      {System: anyRelation, Operator: anyRelation},
	CreditDeposit:      {System: anyRelation},
	IssueNotice:        {Citizen: {Owner, Delegate}},
	RecordService:      {Citizen: {Owner, Delegate}},
	RevokeService:      {Citizen: {Owner, Delegate}},
	RegisterHeir:       {Citizen: anyRelation}, // anyone may claim to be an heir; an operator validates it
	RequestRefund:      {Citizen: {Heir, Delegate}},
	InsertPriorService: {Citizen: {Heir, Delegate}},
	ValidateHeir:       {Operator: anyRelation},
	RejectHeir:         {Operator: anyRelation},
	ApproveRefund:      {Operator: anyRelation},
	RejectRefund:       {Operator: anyRelation},
	MarkRefundPaid:     {Operator: anyRelation},
	ReverseService:     {Operator: anyRelation},
	CorrectDateOfDeath: {Operator: anyRelation},
	RunPayroll:         {Operator: anyRelation},
	FeedFamily:         {System: anyRelation},
	GrantDelegation:    {Citizen: {Owner}}, // the grantor, for themselves only: a delegate cannot delegate
	RevokeDelegation:   {Citizen: {Owner}}, // the delegation's grantor

	ReadOwnClaims:    {Citizen: {Heir, Delegate}},
	ReadClaim:        {Citizen: {Heir, Delegate}, Operator: anyRelation, Auditor: anyRelation},
	ReadClaimHistory: {Citizen: {Heir, Delegate}, Operator: anyRelation, Auditor: anyRelation},
	ReadWill:         {Citizen: {Heir, Delegate}, Operator: anyRelation, Auditor: anyRelation},
	ReadHeirBooklet:  {Citizen: {Heir, Delegate}},
	ReadWorklist:     {Operator: anyRelation},
	ReadStatement:    {Citizen: {Worker}, Operator: anyRelation, Auditor: anyRelation},
	ReadPayslip:      {Citizen: {Worker}, Operator: anyRelation, Auditor: anyRelation},
	ReadOwnNotices:   {Citizen: {Owner, Delegate}},
	ReadNotice:       {Citizen: {Owner, Delegate}, Operator: anyRelation, Auditor: anyRelation},
	ReadDashboard:    {Citizen: {Owner, Delegate}, Operator: anyRelation, Auditor: anyRelation},
	ReadDelegations:  {Citizen: {Owner}},
	ReadFamily:       {Citizen: {Owner}, Operator: anyRelation, Auditor: anyRelation},
	AuditStream:      {Auditor: anyRelation},
	AuditReplay:      {Auditor: anyRelation},
	AuditVerify:      {Auditor: anyRelation},

	ManageContacts:    {Citizen: {Owner}},
	ReadNotifications: {Citizen: {Owner}},
}

// scopes say, for each action a delegate may do for someone, the scope of
// a delegation that lets them (SPEC §9): libretto, the person's booklet;
// eredi, the person's heir claims. An action absent here is never done
// for someone else: a request with X-On-Behalf-Of for it is a stranger's.
var scopes = map[Action]domain.Scope{
	IssueNotice:    domain.ScopeLibretto,
	RecordService:  domain.ScopeLibretto,
	RevokeService:  domain.ScopeLibretto,
	ReadOwnNotices: domain.ScopeLibretto,
	ReadNotice:     domain.ScopeLibretto,
	ReadDashboard:  domain.ScopeLibretto,

	RegisterHeir:       domain.ScopeEredi,
	RequestRefund:      domain.ScopeEredi,
	InsertPriorService: domain.ScopeEredi,
	ReadOwnClaims:      domain.ScopeEredi,
	ReadClaim:          domain.ScopeEredi,
	ReadClaimHistory:   domain.ScopeEredi,
	ReadWill:           domain.ScopeEredi,
	ReadHeirBooklet:    domain.ScopeEredi,
}

// ScopeOf is the scope a delegation must hold for its delegate to do a for
// someone; ok is false when no delegate may do a.
func ScopeOf(a Action) (s domain.Scope, ok bool) {
	s, ok = scopes[a]
	return s, ok
}

// Caller is who makes a request: the authenticated subject and, when they
// act for someone under a delegation, that person and the delegation's
// scopes (already checked active by whoever resolved it).
type Caller struct {
	Subject    string
	OnBehalfOf string   // "" when the subject acts for themselves
	Scopes     []string // the delegation's scopes
}

// RelationFor is the caller's relation to data with parties p for action
// a. Acting for themselves, it is RelationOf. Acting for someone, it is
// Delegate when the delegation's scopes hold a's scope and the person
// stands to the data in a relation the citizen's rule of a names (their
// booklet, their claim) — else Stranger: a delegate sees nothing of the
// person's that the person could not, and nothing beyond the scope.
func RelationFor(a Action, c Caller, p Parties) Relation {
	if c.OnBehalfOf == "" {
		return RelationOf(c.Subject, p)
	}
	s, ok := scopes[a]
	if !ok || !slices.Contains(c.Scopes, string(s)) {
		return Stranger
	}
	rel := RelationOf(c.OnBehalfOf, p)
	if rel == Stranger && table[a][Citizen] != nil && slices.Equal(table[a][Citizen], anyRelation) {
		return Delegate // an action anyone may do for themselves (registering a claim)
	}
	if rel == Stranger || !slices.Contains(table[a][Citizen], rel) {
		return Stranger
	}
	return Delegate
}

// public are the actions anyone may do, without a token or a login.
var public = map[Action]bool{Simulate: true, AskAssistant: true, Probe: true, IssueDevToken: true, SignIn: true}

// Actions lists every action of the table, public ones included.
func Actions() []Action {
	out := make([]Action, 0, len(table)+len(public))
	for a := range table {
		out = append(out, a)
	}
	for a := range public {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Known reports whether a is an action of the table.
func Known(a Action) bool { return table[a] != nil || public[a] }

// Public reports whether anyone may do a, without authenticating.
func Public(a Action) bool { return public[a] }

// Outcome is what the table answers.
type Outcome int

// The outcomes and the statuses the API gives them.
const (
	// Allowed: go on (a business rule may still refuse).
	Allowed Outcome = iota
	// RoleRefused: none of the caller's roles may do this (403).
	RoleRefused
	// NotYours: a role of the caller may do this, but not on this data;
	// answer as if it did not exist (404), so existence is not leaked.
	NotYours
)

func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "allowed"
	case RoleRefused:
		return "role refused"
	case NotYours:
		return "not yours"
	}
	return "unknown"
}

// Decide answers whether a caller holding roles, in relation rel to the
// data, may do a, and the role to act under: the first of Roles that the
// caller holds and that the table allows with rel. Several roles are one
// person: the request is allowed if any of them allows it. An unknown
// action is refused.
func Decide(a Action, roles []Role, rel Relation) (Outcome, Role) {
	if public[a] {
		return Allowed, ""
	}
	row := table[a]
	listed := false
	for _, r := range Roles {
		rels, ok := row[r]
		if !ok || !holds(roles, r) {
			continue
		}
		listed = true
		if slices.Contains(rels, rel) {
			return Allowed, r
		}
	}
	if listed {
		return NotYours, ""
	}
	return RoleRefused, ""
}

// Gate is the check made before the data is read: whether any of roles may
// do a in some relation, and the role to act under (the first of Roles
// held). It is Decide without the relation; Decide follows once the data is
// known.
func Gate(a Action, roles []Role) (Role, bool) {
	if public[a] {
		return "", true
	}
	row := table[a]
	for _, r := range Roles {
		if _, ok := row[r]; ok && holds(roles, r) {
			return r, true
		}
	}
	return "", false
}

// RolesFor lists the roles that may do a in some relation, in Roles order.
func RolesFor(a Action) []Role {
	var out []Role
	for _, r := range Roles {
		if _, ok := table[a][r]; ok {
			out = append(out, r)
		}
	}
	return out
}

// RelationsFor lists the relations in which role may do a.
func RelationsFor(a Action, role Role) []Relation {
	return append([]Relation(nil), table[a][role]...)
}

func holds(roles []Role, r Role) bool { return slices.Contains(roles, r) }

// Parties are the people some data belongs to, each by codice fiscale as
// stored (empty when there is none in that capacity).
type Parties struct {
	Owner  string // the booklet's user
	Heir   string // the claim's heir
	Worker string // the worker
}

// RelationOf is subject's relation to data with those parties: Owner,
// Heir or Worker when subject is that party's codice fiscale, compared
// canonically (a token's subject in lower case is the same person), else
// Stranger. A subject that is not a codice fiscale (a system feed, an
// office account) is a stranger to everyone's data.
func RelationOf(subject string, p Parties) Relation {
	cf, err := domain.ParseCF(subject)
	if err != nil {
		return Stranger
	}
	same := func(stored string) bool {
		if stored == "" {
			return false
		}
		other, err := domain.ParseCF(stored)
		return err == nil && other == cf
	}
	switch {
	case same(p.Owner):
		return Owner
	case same(p.Heir):
		return Heir
	case same(p.Worker):
		return Worker
	}
	return Stranger
}
