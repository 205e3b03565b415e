package lockedbuf

import (
	"strings"
	"sync"
	"testing"
)

// Writers and a reader at once lose nothing (and, under -race, race on
// nothing).
func TestWritersAndReaderAtOnce(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("line\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "line\n"); n != 400 {
		t.Errorf("%d lines, want 400", n)
	}
}
