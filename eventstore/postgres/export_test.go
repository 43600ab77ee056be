package postgres

// FullXIDForTest exposes the xid widening expression to the external tests.
const FullXIDForTest = fullXID
