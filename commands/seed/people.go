package seed

// The people of the demo data. Every codice fiscale is well formed, with its
// check character computed (domain.CFCheckChar); none belongs to a real
// person as far as anyone can tell.
const (
	// Giuseppe Bianchi, deceased, holder of a booklet with two heirs.
	DeceasedCF = "BNCGPP40C15F205P"
	// Laura Bianchi, legitimate heir: her claim is validated, a refund requested.
	HeirLauraCF = "BNCLRA70D45F205X"
	// Marco Bianchi, testamentary heir: his claim awaits validation.
	HeirMarcoCF = "BNCMRC72E10F205P"

	// Anna Verdi, a family using the booklet for babysitting and cleaning.
	FamilyVerdiCF = "VRDNNA85M41H501D"
	// Luca Ferrari, a family paying private lessons.
	FamilyFerrariCF = "FRRLCU78T12L219B"

	// Maria Esposito, babysitter with an IBAN.
	WorkerMariaCF = "SPSMRA90B50H501C"
	// Giovanni Ricci, student under 25, paid by bonifico domiciliato (no IBAN).
	WorkerGiovanniCF = "RCCGNN04H20A662B"
	// Sofia Colombo, pensioner doing home care (75% counting on the user cap).
	WorkerSofiaCF = "CLMSFO58L55F839O"

	// Elisa Monti, operator of the INPS office.
	OperatorCF = "MNTLSE75P50H501T"
	// Davide Conti, a second operator of the same office: a refund one of
	// them approves, the other pays (four eyes, SPEC §8).
	Operator2CF = "CNTDVD78C12H501A"
	// Paolo Galli, internal auditor.
	AuditorCF = "GLLPLA70R10H501S"
)
