package domain

// The read side keeps statuses as their names (String); these find the
// typed value again, so that it can ask the domain's predicates. ok is
// false for a name no status has.

// ServiceStateOf returns the service state named s.
func ServiceStateOf(s string) (ServiceState, bool) {
	return lookup(s, ServiceRecordedState, ServiceRevokedState, ServiceReversedState, ServicePaidState)
}

// ClaimStatusOf returns the claim status named s.
func ClaimStatusOf(s string) (ClaimStatus, bool) {
	return lookup(s, ClaimRegistered, ClaimValidated, ClaimRejected)
}

// BookletStatusOf returns the booklet status named s.
func BookletStatusOf(s string) (BookletStatus, bool) {
	return lookup(s, BookletActive, BookletOwnerDeceased, BookletClosed)
}

func lookup[T interface{ String() string }](s string, all ...T) (T, bool) {
	for _, v := range all {
		if v.String() == s {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// NoticeStatus is where a pagoPA notice stands for its payer: open until it
// is paid or expires.
type NoticeStatus struct{ s string }

// The notice statuses.
var (
	NoticeOpen    = NoticeStatus{"open"}
	NoticePaid    = NoticeStatus{"paid"}
	NoticeExpired = NoticeStatus{"expired"}
)

func (s NoticeStatus) String() string { return s.s }

// NoticeStatusOn is the status on day today of a notice expiring on
// expires: paid once paid, else expired from the day after expires (the
// day PayNotice refuses a payment made on), else open.
func NoticeStatusOn(paid bool, expires, today Date) NoticeStatus {
	switch {
	case paid:
		return NoticePaid
	case noticeExpiredOn(expires, today):
		return NoticeExpired
	}
	return NoticeOpen
}

// noticeExpiredOn reports whether a notice expiring on expires may no
// longer be paid on day.
func noticeExpiredOn(expires, day Date) bool { return day.After(expires) }
