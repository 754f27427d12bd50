package local

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// ids makes UUIDv7 identifiers (RFC 9562): a 48-bit Unix millisecond
// timestamp, then random bits from crypto/rand. Within one process the IDs
// are strictly increasing (a 12-bit counter in rand_a breaks ties within a
// millisecond, the timestamp is bumped when it overflows), so the byte order
// of the text form is the creation order: the stores list newest first by
// walking keys backwards.
type ids struct {
	mu     sync.Mutex
	lastMS int64
	seq    uint16 // 12 bits used
}

var idGen ids

// newID returns a fresh UUIDv7 in its canonical text form.
func newID() string { return idGen.next(time.Now()) }

func (g *ids) next(now time.Time) string {
	g.mu.Lock()
	ms := now.UnixMilli()
	if ms <= g.lastMS {
		ms = g.lastMS
		g.seq++
		if g.seq > 0xfff {
			ms++
			g.seq = 0
		}
	} else {
		g.seq = 0
	}
	g.lastMS = ms
	seq := g.seq
	g.mu.Unlock()

	var b [16]byte
	if _, err := rand.Read(b[8:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never happens on supported platforms
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(ms))
	copy(b[0:6], ts[2:8])
	b[6] = 0x70 | byte(seq>>8)&0x0f
	b[7] = byte(seq)
	b[8] = 0x80 | b[8]&0x3f

	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// validID reports whether s has the canonical form of a UUID (any version).
// Page tokens and path IDs are checked with it before they reach a store key.
func validID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
