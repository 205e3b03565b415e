package balancer_test

import "github.com/hvbalancer/hvbalancer/internal/proctime"

// processCPU is the CPU time the test process has used, all threads (the
// garbage collector's too), user and system (see proctime.CPU): on a
// machine other work shares, a benchmark's CPU per operation varies far
// less than its time.
var processCPU = proctime.CPU
