package hyperv

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// pollAnswer is a poll-host answer with one VM, given as vms (an array,
// or a bare object as a careless printer would), and errs.
func pollAnswer(vms, errs string) []byte {
	return []byte(`{"Host":{"Name":"HV01","LogicalProcessorCount":16,"MemoryCapacity":137438953472,"Volumes":[]},` +
		`"VMs":` + vms + `,` +
		`"Samples":[{"S":"LP","I":0,"N":"Hv LP 0","V":0,"T":133000000000000000},` +
		`{"S":"LP","I":1,"N":"Hv LP 0","V":5000000,"T":133000000010000000},` +
		`{"S":"Memory","I":1,"N":"","V":1024,"T":133000000010000000}],` +
		`"Errors":` + errs + `}` + "\r\n")
}

const pollVM = `{"Id":"11111111-1111-4111-8111-111111111111","Name":"web01","State":2,"ProcessorCount":2,"Uptime":"1.02:03:04.5000000","Switches":"LAN","Disks":null}`

func TestParsePoll(t *testing.T) {
	want, err := parsePoll(pollAnswer("["+pollVM+"]", "[]"), true, "hv01:5985")
	if err != nil {
		t.Fatal(err)
	}
	if want.HostErr != nil || want.VMsErr != nil || want.CountersErr != nil {
		t.Fatalf("part errors: %v %v %v", want.HostErr, want.VMsErr, want.CountersErr)
	}
	if want.Host.Name != "HV01" || len(want.VMs) != 1 || want.VMs[0].Switches[0] != "LAN" || want.VMs[0].Uptime != 26*time.Hour+3*time.Minute+4500*time.Millisecond ||
		want.Counters.HostCPUPercent != 50 || want.Counters.AvailableMemory != 1<<30 {
		t.Fatalf("poll %+v", want)
	}
	// A bare VM and Errors printed as null take the careful path, with
	// the same result.
	got, err := parsePoll(pollAnswer(pollVM, "null"), true, "hv01:5985")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("careful path: %+v, %v; want %+v", got, err, want)
	}

	// A part the host could not read is that part's error; the others answer.
	got, err = parsePoll(pollAnswer("["+pollVM+"]", `[{"Part":"Counters","Message":"Invalid class ","Category":"ObjectNotFound","Id":"HRESULT 0x80041010"}]`), false, "hv01:5985")
	var pe *PartError
	if err != nil || !errors.As(got.CountersErr, &pe) || pe.Part != "Counters" || !strings.HasPrefix(got.CountersErr.Error(), "get counters on hv01:5985: ") {
		t.Errorf("counters part failed: %v, %v", got.CountersErr, err)
	}
	if got.VMsErr != nil || len(got.VMs) != 1 || got.Host.Name != "" {
		t.Errorf("the other parts: %+v", got)
	}

	// A VM without its ID fails the VMs part, named, not the poll.
	got, err = parsePoll(pollAnswer(`[{"Name":"x"}]`, "[]"), false, "hv01:5985")
	if err != nil || got.VMsErr == nil || !strings.Contains(got.VMsErr.Error(), "field Id") || got.CountersErr != nil {
		t.Errorf("VM without ID: vms %v, counters %v, err %v", got.VMsErr, got.CountersErr, err)
	}
	// Output that is not an answer fails the poll.
	if _, err := parsePoll([]byte("[1,2]"), false, "hv01:5985"); !errors.Is(err, ErrUnexpectedOutput) {
		t.Errorf("not an answer: %v", err)
	}
}
