package main

import "fmt"

// report collects what check finds: problems fail it, warnings do not.
type report struct {
	problems []string
	warnings []string
	seen     map[string]int // a problem of a shared file or variable is said once
}

func (r *report) problem(path, format string, args ...any) {
	r.problems = append(r.problems, path+": "+fmt.Sprintf(format, args...))
}

func (r *report) warn(path, format string, args ...any) {
	r.warnings = append(r.warnings, path+": "+fmt.Sprintf(format, args...))
}

// once reports whether key is seen for the first time.
func (r *report) once(key string) bool {
	if r.seen == nil {
		r.seen = map[string]int{}
	}
	r.seen[key]++
	return r.seen[key] == 1
}
