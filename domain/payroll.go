package domain

import (
	"maps"
	"slices"
	"strings"
)

// ParseRunDate parses a payroll run date, which cannot be in the future.
func ParseRunDate(s string, today Date) (Date, error) {
	d, err := ParseDate(s, "run_date")
	if err != nil {
		return Date{}, err
	}
	if d.After(today) {
		return Date{}, RuleError(CodeFutureDate, "run_date", "a payroll run cannot be dated in the future")
	}
	return d, nil
}

// PlanPayroll pays every recorded, unrevoked, unreversed, unpaid service of
// booklets that ends on or before runDate, one payment per worker, except
// the prior services of a claim not yet validated, which stay held
// (Booklet.PayableUntil); a worker without an IBAN is paid by bonifico
// domiciliato and 260 cents are withheld once per run. workers must hold
// every worker of the services paid; claims (by id) the claim of every prior
// service due. The decision appends a ServicePaid per service on its
// booklet, a PriorServicePaid on the claim of a prior service, one
// WorkerPaid per worker, then, last, the run's summary PayrollRunCompleted
// on payroll-<runID> (booklets, workers and claims each in CF or id order).
func PlanPayroll(runID string, runDate Date, booklets []*Booklet, workers map[string]*Worker, claims map[string]*Claim) Decision {
	var d Decision
	paidClaims := map[string][]Pending{}
	sorted := slices.Clone(booklets)
	slices.SortFunc(sorted, func(a, b *Booklet) int { return strings.Compare(a.owner.String(), b.owner.String()) })
	perWorker := map[string]*WorkerPaid{}
	on := runDate.String()
	for _, b := range sorted {
		for _, s := range b.PayableUntil(runDate, claims) {
			if _, ok := workers[s.WorkerCF]; !ok {
				continue // cannot happen: a service needs a registered worker
			}
			d.Add(BookletStream(s.UserCF), Pending{Data: ServicePaid{ServiceID: s.ServiceID, RunID: runID, PaidOn: on}})
			if s.ClaimID != "" {
				paidClaims[s.ClaimID] = append(paidClaims[s.ClaimID], Pending{Data: PriorServicePaid{ServiceID: s.ServiceID, RunID: runID, PaidOn: on}})
			}
			wp := perWorker[s.WorkerCF]
			if wp == nil {
				wp = &WorkerPaid{RunID: runID, RunDate: on, IBAN: workers[s.WorkerCF].iban}
				perWorker[s.WorkerCF] = wp
			}
			v := int64(s.Vouchers)
			wp.Services = append(wp.Services, PaidService{
				ServiceID: s.ServiceID, UserCF: s.UserCF, InsertedByHeir: s.ClaimID != "",
				Hours: s.Hours, Vouchers: s.Vouchers, GrossCents: s.GrossCents, NetCents: s.NetCents,
				IVSCents: v * VoucherIVS, INAILCents: v * VoucherINAIL, ManagementCents: v * VoucherFee,
			})
			wp.NetCents += s.NetCents
		}
	}
	cfs := make([]string, 0, len(perWorker))
	for cf := range perWorker {
		cfs = append(cfs, cf)
	}
	slices.Sort(cfs)
	summary := PayrollRunCompleted{RunID: runID, RunDate: on, Payments: []Payment{}}
	for _, cf := range cfs {
		wp := perWorker[cf]
		if wp.IBAN == "" {
			wp.FeeCents = DomiciledFee
		}
		wp.PaidCents = wp.NetCents - wp.FeeCents
		d.Add(WorkerStream(cf), pending(*wp)...)
		ids := make([]string, len(wp.Services))
		for i, s := range wp.Services {
			ids[i] = s.ServiceID
		}
		summary.Payments = append(summary.Payments, Payment{WorkerCF: cf, ServiceIDs: ids, NetCents: wp.NetCents, FeeCents: wp.FeeCents, PaidCents: wp.PaidCents})
		summary.PaidCents += wp.PaidCents
	}
	for _, id := range slices.Sorted(maps.Keys(paidClaims)) {
		d.Add(ClaimStream(id), paidClaims[id]...)
	}
	// The run's stream goes last: its event has the run's highest position.
	d.Add(PayrollStream(runID), pending(summary)...)
	return d
}
