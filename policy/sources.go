package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// maxBundleFileBytes bounds any one file read out of a bundle.
const maxBundleFileBytes = 64 << 20

// sourceFile is one production file of a policy: a Rego module (not a
// *_test.rego) or a data file (data.json, data.yaml or data.yml).
type sourceFile struct {
	rel  string // slash-separated path below the policy's root: "deny.rego", "lab/data.yaml"
	name string // the name errors report: "examples/policies/deny.rego"
	data []byte
}

// isRego reports whether f is a Rego module.
func (f sourceFile) isRego() bool { return strings.HasSuffix(f.rel, ".rego") }

// sources are the production files of one version of a policy, sorted by
// path, and their digest.
type sources struct {
	files  []sourceFile
	digest string
}

// readSources reads the production files of the directory or bundle named
// in opts.
func readSources(opts Options) (*sources, error) {
	var (
		files []sourceFile
		err   error
	)
	if opts.Bundle != "" {
		files, err = readBundle(opts.Bundle)
	} else {
		files, err = readDir(opts.Dir)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b sourceFile) int { return strings.Compare(a.rel, b.rel) })
	for i := 1; i < len(files); i++ {
		if files[i].rel == files[i-1].rel {
			return nil, fmt.Errorf("read policy: %s twice", files[i].name)
		}
	}
	return &sources{files: files, digest: digestOf(files)}, nil
}

// production reports whether the file at rel belongs to the production
// policy: Rego modules other than tests, and data.json / data.yaml files.
// Hidden files and directories (a leading '.') never do.
func production(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") {
			return false
		}
	}
	base := path.Base(rel)
	switch {
	case strings.HasSuffix(base, "_test.rego"):
		return false
	case strings.HasSuffix(base, ".rego"):
		return true
	default:
		return isDataFile(base)
	}
}

// isDataFile reports whether a file name is one the policy's data is read
// from, as in an OPA bundle.
func isDataFile(base string) bool {
	return base == "data.json" || base == "data.yaml" || base == "data.yml"
}

func readDir(dir string) ([]sourceFile, error) {
	if dir == "" {
		return nil, errors.New("read policy: no directory or bundle given")
	}
	var files []sourceFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !production(rel) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, sourceFile{rel: rel, name: p, data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return files, nil
}

func readBundle(file string) ([]sourceFile, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read policy bundle: %w", err)
	}
	ld := bundle.NewTarballLoader(bytes.NewReader(raw)).WithSizeLimitBytes(maxBundleFileBytes)
	var files []sourceFile
	for {
		d, err := ld.NextFile()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read policy bundle %s: %w", file, err)
		}
		rel := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(d.Path())), "/")
		if !production(rel) {
			d.Close()
			continue
		}
		var buf bytes.Buffer
		_, err = d.Read(&buf, maxBundleFileBytes)
		d.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read policy bundle %s: %s: %w", file, rel, err)
		}
		files = append(files, sourceFile{rel: rel, name: file + "/" + rel, data: buf.Bytes()})
	}
	return files, nil
}

// digestOf is "sha256:" and the hex SHA-256 over the files' paths and
// contents, in path order, each length-prefixed so no two different sets of
// files hash alike.
func digestOf(files []sourceFile) string {
	h := sha256.New()
	var n [8]byte
	for _, f := range files {
		binary.BigEndian.PutUint64(n[:], uint64(len(f.rel)))
		h.Write(n[:])
		h.Write([]byte(f.rel))
		binary.BigEndian.PutUint64(n[:], uint64(len(f.data)))
		h.Write(n[:])
		h.Write(f.data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
