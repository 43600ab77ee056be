package postgres

import (
	"encoding/binary"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/eventstore"
)

// decoder turns rows of eventColumns into events straight from the wire,
// without pgx's reflection-driven Scan: catching up on a large log is
// dominated by per-row decoding. Repeated strings (stream, type, actor) are
// shared within one read, and the byte fields of many events are carved out
// of one buffer, so a row costs no allocation of its own.
//
// When the server sends a column in a format the decoder does not expect,
// it falls back to scanEvent.
type decoder struct {
	fast    bool
	strings map[string]string
	arena   []byte
}

// columnFormats are the formats decodeRaw expects per eventColumns column:
// 1 binary, 0 text; -1 accepts either because both are the same bytes (text
// and json).
var columnFormats = [...]int16{1, 1, -1, 1, 1, -1, 1, -1, 1, 1, -1, -1, 1, 1, 1, -1}

func newDecoder(rows pgx.Rows) *decoder {
	d := &decoder{strings: map[string]string{}}
	fds := rows.FieldDescriptions()
	if len(fds) != len(columnFormats) {
		return d
	}
	for i, fd := range fds {
		if want := columnFormats[i]; want >= 0 && fd.Format != want {
			return d
		}
	}
	d.fast = true
	return d
}

func (d *decoder) decode(rows pgx.Rows, e *eventstore.Event) error {
	if !d.fast {
		return scanEvent(rows, e)
	}
	v := rows.RawValues()
	if len(v[0]) != 8 || len(v[1]) != 8 || len(v[3]) != 8 || len(v[4]) != 16 || len(v[6]) != 4 ||
		len(v[8]) != 8 || len(v[9]) != 8 || len(v[12]) != 16 || len(v[13]) != 16 {
		return scanEvent(rows, e)
	}
	e.Position = int64(binary.BigEndian.Uint64(v[0]))
	e.Cursor = eventstore.Cursor{Major: binary.BigEndian.Uint64(v[1]), Minor: uint64(e.Position)}
	e.Stream = d.intern(v[2])
	e.Version = int64(binary.BigEndian.Uint64(v[3]))
	copy(e.ID[:], v[4])
	e.Type = d.intern(v[5])
	e.SchemaVersion = int(int32(binary.BigEndian.Uint32(v[6])))
	e.Data = d.bytes(v[7])
	e.OccurredAt = timestamptz(v[8])
	e.RecordedAt = timestamptz(v[9])
	e.Actor.ID = d.intern(v[10])
	e.Actor.Role = d.intern(v[11])
	copy(e.CorrelationID[:], v[12])
	copy(e.CausationID[:], v[13])
	e.Hash = d.bytes(v[14])
	e.Actor.OnBehalfOf = d.intern(v[15])
	return nil
}

func (d *decoder) intern(b []byte) string {
	if s, ok := d.strings[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strings) < 4096 {
		d.strings[s] = s
	}
	return s
}

// bytes copies b into the arena. The result's capacity is its length, so an
// append by the caller reallocates instead of writing over the next event.
func (d *decoder) bytes(b []byte) []byte {
	if len(b) > 4096 {
		return append([]byte(nil), b...)
	}
	if len(d.arena)+len(b) > cap(d.arena) {
		d.arena = make([]byte, 0, 64<<10)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// postgresEpoch is 2000-01-01 UTC in Unix microseconds: binary timestamptz
// values count microseconds from it.
const postgresEpoch = 946684800 * 1_000_000

func timestamptz(b []byte) time.Time {
	return time.UnixMicro(int64(binary.BigEndian.Uint64(b)) + postgresEpoch).UTC()
}
