package domain

// Worker is a prestatore, stream worker-<CF>: registration, IBAN, category
// and the net pay booked per calendar year (for the worker cap).
type Worker struct {
	version  int64
	cf       CF
	exists   bool
	iban     string
	category WorkerCategory
	net      map[int]int64 // year → net booked
	booked   map[string]WorkerServiceBooked
	unpaid   map[string]bool
}

// NewWorker returns the empty worker of cf (not yet registered).
func NewWorker(cf CF) *Worker {
	return &Worker{cf: cf, category: CategoryOther, net: map[int]int64{}, booked: map[string]WorkerServiceBooked{}, unpaid: map[string]bool{}}
}

// Version is the stream version the worker was folded to.
func (w *Worker) Version() int64 { return w.version }

// CF is the worker's codice fiscale.
func (w *Worker) CF() CF { return w.cf }

// Exists reports whether the worker registered.
func (w *Worker) Exists() bool { return w.exists }

// IBAN is the worker's IBAN ("" when paid by bonifico domiciliato).
func (w *Worker) IBAN() string { return w.iban }

// Category is what the worker declared.
func (w *Worker) Category() WorkerCategory { return w.category }

// NetBooked is the net pay counting towards the worker cap in year.
func (w *Worker) NetBooked(year int) int64 { return w.net[year] }

// Apply folds stored events into the worker; it never fails.
func (w *Worker) Apply(events ...Recorded) {
	for _, r := range events {
		if r.Version > w.version {
			w.version = r.Version
		}
		switch e := r.Data.(type) {
		case WorkerRegistered:
			w.exists = true
			w.iban = e.IBAN
			if c, err := ParseWorkerCategory(e.Category); err == nil {
				w.category = c
			}
		case WorkerServiceBooked:
			w.booked[e.ServiceID] = e
			w.unpaid[e.ServiceID] = true
			w.net[e.Year] += e.NetCents
		case WorkerServiceReleased:
			if b, ok := w.booked[e.ServiceID]; ok && w.unpaid[e.ServiceID] {
				delete(w.unpaid, e.ServiceID)
				w.net[b.Year] -= b.NetCents
			}
		case WorkerPaid:
			for _, s := range e.Services {
				delete(w.unpaid, s.ServiceID)
			}
		}
	}
}

// RegisterWorker registers the worker with an optional IBAN and a category
// (default altro); already_exists when registered.
func (w *Worker) RegisterWorker(iban, category string) ([]Pending, error) {
	var account IBAN
	if iban != "" {
		var err error
		if account, err = ParseIBAN(iban); err != nil {
			return nil, err
		}
	}
	cat, err := ParseWorkerCategory(category)
	if err != nil {
		return nil, err
	}
	if w.exists {
		return nil, ConflictError(CodeAlreadyExists, "this worker is already registered")
	}
	return pending(WorkerRegistered{WorkerCF: w.cf.String(), IBAN: account.String(), Category: cat.String()}), nil
}
