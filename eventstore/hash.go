package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"time"
)

// canonical is the byte form an event is hashed in. Its field order is part
// of the audit contract: changing it breaks every stored chain.
type canonical struct {
	ID            string          `json:"id"`
	Stream        string          `json:"stream"`
	Version       int64           `json:"version"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	OccurredAt    string          `json:"occurred_at"`
	RecordedAt    string          `json:"recorded_at"`
	Actor         Actor           `json:"actor"`
	CorrelationID string          `json:"correlation_id"`
	CausationID   string          `json:"causation_id"`
	Data          json.RawMessage `json:"data"`
}

// CanonicalBytes returns the bytes of e that the hash chain covers: the whole
// envelope except the global position and cursor, which a store assigns.
func CanonicalBytes(e Event) []byte {
	var data bytes.Buffer
	if err := json.Compact(&data, e.Data); err != nil {
		data.Reset()
		data.WriteString("null")
	}
	b, _ := json.Marshal(canonical{
		ID:            e.ID.String(),
		Stream:        e.Stream,
		Version:       e.Version,
		Type:          e.Type,
		SchemaVersion: e.SchemaVersion,
		OccurredAt:    e.OccurredAt.UTC().Format(time.RFC3339Nano),
		RecordedAt:    e.RecordedAt.UTC().Format(time.RFC3339Nano),
		Actor:         e.Actor,
		CorrelationID: e.CorrelationID.String(),
		CausationID:   e.CausationID.String(),
		Data:          data.Bytes(),
	})
	return b
}

// ChainHash returns SHA-256(prev || CanonicalBytes(e)). prev is nil for a
// stream's first event.
func ChainHash(prev []byte, e Event) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(CanonicalBytes(e))
	return h.Sum(nil)
}

// VerifyStream checks one stream's events (in version order, from version 1)
// and returns every broken link.
func VerifyStream(events []Event) []BrokenLink {
	var broken []BrokenLink
	var prev []byte
	for i, e := range events {
		if e.Version != int64(i+1) {
			broken = append(broken, BrokenLink{Stream: e.Stream, Version: e.Version, Position: e.Position, Reason: "version gap"})
		}
		want := ChainHash(prev, e)
		if !bytes.Equal(want, e.Hash) {
			broken = append(broken, BrokenLink{Stream: e.Stream, Version: e.Version, Position: e.Position, Reason: "hash mismatch"})
		}
		prev = e.Hash
	}
	return broken
}
