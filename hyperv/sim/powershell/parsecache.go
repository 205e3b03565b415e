package powershell

import (
	"sync"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// parseCacheSize bounds the script texts a host keeps parsed: a client
// sends a few texts again and again (its loader, its poll with and
// without the facts), and anything else is parsed anew.
const parseCacheSize = 8

// sharedParseCacheSize bounds the texts a ParseCache keeps for the hosts
// that share it: the texts every host is sent, and room for the commands
// that name one VM or host (a move, a lookup) not to push them out.
const sharedParseCacheSize = 64

// ParseCache keeps the syntax trees of the last texts the shells sharing
// it parsed: a fleet's hosts are sent the same poll, and one parse of it
// serves them all, where each host parsed it on its first poll (a few
// milliseconds of CPU a host, in the round after every host logged in).
// A text's tree is the same whichever host parses it.
type ParseCache struct{ c parseCache }

// NewParseCache returns an empty cache for the shells of one fleet.
func NewParseCache() *ParseCache { return &ParseCache{c: parseCache{size: sharedParseCacheSize}} }

// parseCache keeps the syntax trees of the last texts a host parsed, as
// PowerShell keeps its compiled script blocks by their text: a poll that
// sends the same script every interval is parsed once. Trees are only
// read by the interpreter, so one tree serves every run of its text.
type parseCache struct {
	mu      sync.Mutex
	size    int      // entries kept; 0 is parseCacheSize
	entries []parsed // most recent last
}

type parsed struct {
	text string
	tree *lang.Script
	err  error
}

// parse returns text's tree, or its parse error, from the cache or from
// lang.Parse.
func (c *parseCache) parse(text string) (*lang.Script, error) {
	c.mu.Lock()
	for i, e := range c.entries {
		if e.text == text {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			c.mu.Unlock()
			return e.tree, e.err
		}
	}
	c.mu.Unlock()
	tree, err := lang.Parse(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	size := c.size
	if size == 0 {
		size = parseCacheSize
	}
	if len(c.entries) >= size {
		c.entries = append(c.entries[:0:0], c.entries[1:]...)
	}
	c.entries = append(c.entries, parsed{text, tree, err})
	return tree, err
}
