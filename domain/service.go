package domain

import "fmt"

// ServiceInput is a service as a user (or an heir) submits it.
type ServiceInput struct {
	WorkerCF  string
	Activity  string
	StartDate string
	EndDate   string
	Hours     float64
	Vouchers  int
	Declared  bool // no_recent_employment (user) or no_known_employment (heir)
}

// Service is a well-formed service: every field parsed, the dates in order
// and enough vouchers for its hours. It carries no judgement on time
// (future, deadline) or on the booklet and worker: the deciders do that.
type Service struct {
	Worker   CF
	Activity Activity
	Start    Date
	End      Date
	Hours    Hours
	Vouchers int
	Declared bool
}

// Gross is vouchers × 1000 cents, what the booklet commits.
func (s Service) Gross() int64 { return int64(s.Vouchers) * VoucherCents }

// Net is vouchers × 800 cents, the worker's pay and what the caps count.
func (s Service) Net() int64 { return int64(s.Vouchers) * VoucherNet }

// Year is the calendar year the caps count the service in: its end date's.
func (s Service) Year() int { return s.End.Year() }

// ParseService checks the shape of a service: worker CF, activity, dates
// (start not before LibrettoStart, end not before start), hours > 0 with two decimals at most, and
// vouchers >= ceil(hours).
func ParseService(in ServiceInput) (Service, error) {
	worker, err := ParseCF(in.WorkerCF)
	if err != nil {
		err.(*Error).Field = "worker_cf"
		return Service{}, err
	}
	act, err := ParseActivity(in.Activity)
	if err != nil {
		return Service{}, err
	}
	start, err := ParseDate(in.StartDate, "start_date")
	if err != nil {
		return Service{}, err
	}
	if err := CheckLibrettoDate(start, "start_date"); err != nil {
		return Service{}, err
	}
	end, err := ParseDate(in.EndDate, "end_date")
	if err != nil {
		return Service{}, err
	}
	if end.Before(start) {
		return Service{}, RuleError(CodeInvalidDate, "end_date", "a service cannot end before it starts")
	}
	hours, err := ParseHours(in.Hours)
	if err != nil {
		return Service{}, err
	}
	if in.Vouchers > maxServiceVouchers {
		// Far beyond any cap, and beyond what int64 cents can multiply.
		return Service{}, RuleError(CodeCapExceeded, "vouchers", fmt.Sprintf("%d vouchers cross the %s cap of %d cents", in.Vouchers, "worker_for_user", WorkerForUserCap)).
			With("cap", "worker_for_user").With("limit_cents", WorkerForUserCap)
	}
	if int64(in.Vouchers) < hours.Ceil() {
		return Service{}, RuleError(CodeVouchersBelowHours, "vouchers", fmt.Sprintf("one voucher pays at most one hour: %v hours need at least %d vouchers", hours.Float(), hours.Ceil())).
			With("min_vouchers", hours.Ceil())
	}
	return Service{Worker: worker, Activity: act, Start: start, End: end, Hours: hours, Vouchers: in.Vouchers, Declared: in.Declared}, nil
}

// maxServiceVouchers bounds a service's vouchers before any sum: 312 already
// fill the cap of one worker for one user, so more are refused anyway.
const maxServiceVouchers = 1 << 20

// RecordService decides a service the booklet's owner records: not in the
// future, by the 3rd day of the month after its end, with the declaration of
// no recent employment, with a registered worker who is not the user, on an
// active booklet, within the balance and the three caps.
func (b *Booklet) RecordService(w *Worker, id string, s Service, today Date) (Decision, error) {
	if s.End.After(today) {
		return Decision{}, RuleError(CodeFutureDate, "end_date", "a service cannot be recorded before it ends")
	}
	deadline := RecordingDeadline(s.End)
	if today.After(deadline) {
		return Decision{}, RuleError(CodeDeadlinePassed, "end_date", "a service ending "+s.End.String()+" could be recorded until "+deadline.String()).
			With("deadline", deadline.String())
	}
	if !s.Declared {
		return Decision{}, RuleError(CodeDeclarationRequired, "declarations.no_recent_employment", "the user declares the worker was not their employee or collaborator in the last 6 months")
	}
	if !b.exists {
		return Decision{}, RuleError(CodeUserNotRegistered, "", "open the booklet first")
	}
	if b.status == BookletClosed {
		return Decision{}, errBookletClosed()
	}
	if b.status != BookletActive {
		return Decision{}, ConflictError(CodeBookletNotActive, "the booklet's owner is deceased: heirs insert prior services through their claim")
	}
	if s.Worker == b.owner {
		return Decision{}, RuleError(CodeSelfEmployment, "worker_cf", "a user cannot pay themselves")
	}
	d, rec, err := b.decideService(w, id, s, ServiceRecorded{Deadline: deadline.String()})
	if err != nil {
		return Decision{}, err
	}
	d.Add(ServiceLocator(id), Pending{Data: ServiceLocated{ServiceID: id, UserCF: rec.UserCF}})
	return d, nil
}

// errBookletClosed refuses a new service, ordinary or prior, on a closed
// booklet with the code a deceased owner's booklet answers to an ordinary one.
func errBookletClosed() error {
	return ConflictError(CodeBookletNotActive, "the booklet is closed: the refund of its balance has been paid")
}

// decideService holds the rules recording and prior insertion share: a
// registered worker, the balance and the three caps. rec carries what
// differs (deadline, claim, heir); it comes back complete. The decision
// appends the booklet's ServiceRecorded and the worker's WorkerServiceBooked;
// the caller adds the claim's side of a prior service and the locator.
func (b *Booklet) decideService(w *Worker, id string, s Service, rec ServiceRecorded) (Decision, ServiceRecorded, error) {
	if !w.exists {
		return Decision{}, ServiceRecorded{}, RuleError(CodeWorkerNotRegistered, "worker_cf", "the worker is not registered")
	}
	gross, net, year := s.Gross(), s.Net(), s.Year()
	if avail := b.Available(); gross > avail {
		return Decision{}, ServiceRecorded{}, RuleError(CodeInsufficientFunds, "vouchers", "the booklet's available balance does not cover the vouchers").
			With("available", avail).With("required", gross)
	}
	userCounted := net
	if w.category.Reduced() {
		userCounted = ReducedShare(net)
	}
	if err := capCheck("worker", WorkerCap, w.net[year], net, year); err != nil {
		return Decision{}, ServiceRecorded{}, err
	}
	if err := capCheck("user", UserCap, b.userNet[year], userCounted, year); err != nil {
		return Decision{}, ServiceRecorded{}, err
	}
	if err := capCheck("worker_for_user", WorkerForUserCap, b.perWork[workYear{s.Worker.String(), year}], net, year); err != nil {
		return Decision{}, ServiceRecorded{}, err
	}
	rec.ServiceID = id
	rec.UserCF = b.owner.String()
	rec.WorkerCF = s.Worker.String()
	rec.Activity = s.Activity.String()
	rec.StartDate = s.Start.String()
	rec.EndDate = s.End.String()
	rec.Hours = s.Hours.Float()
	rec.Vouchers = s.Vouchers
	rec.GrossCents = gross
	rec.NetCents = net
	rec.UserCapCents = userCounted
	rec.Year = year
	d := Decide(BookletStream(rec.UserCF), pending(rec))
	d.Add(WorkerStream(rec.WorkerCF), pending(WorkerServiceBooked{ServiceID: id, UserCF: rec.UserCF, Year: year, NetCents: net})...)
	return d, rec, nil
}

// capCheck refuses adding add to used when it would cross limit. The
// worker cap counts what the worker earned from every user: that is the
// worker's data, not the user's, so its use and margin are facts about
// others and stay out of the detail.
func capCheck(name string, limit, used, add int64, year int) error {
	if used+add <= limit {
		return nil
	}
	remaining := max(limit-used, 0)
	err := RuleError(CodeCapExceeded, "vouchers", fmt.Sprintf("the %s cap of %d cents for %d would be crossed: %d cents left", name, limit, year, remaining)).
		With("cap", name).With("limit_cents", limit).With("year", year)
	if name == "worker" {
		err.Detail = fmt.Sprintf("the worker cap of %d cents for %d would be crossed", limit, year)
		return err.WithOthers("used_cents", used).WithOthers("remaining_cents", remaining)
	}
	return err.With("used_cents", used).With("remaining_cents", remaining)
}
