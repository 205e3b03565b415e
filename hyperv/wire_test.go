package hyperv_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/wsman"
)

const (
	wireUser     = `LAB\svc-balancer`
	wirePassword = "Wire-Pa55-s3cr3t!"
	vmID         = "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f"
)

// reply is a recorded PowerShell 5.1 result for one script.
type reply struct {
	stdout, stderr string
	exit           int
	block          bool // never finish on its own: wait for the command to be cancelled
}

// fakeHost is a canned Runner: it decodes each command as powershell.exe
// would, records the script name and parameters, and answers with the
// recorded output of that script.
type fakeHost struct {
	t       *testing.T
	mu      sync.Mutex
	replies map[string]reply
	calls   []call
	blocked atomic.Int32 // blocking commands not yet cancelled
}

type call struct {
	Script string
	Params map[string]any
}

func (h *fakeHost) set(script string, r reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.replies == nil {
		h.replies = map[string]reply{}
	}
	h.replies[script] = r
}

func (h *fakeHost) lastCall() call {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.calls) == 0 {
		return call{}
	}
	return h.calls[len(h.calls)-1]
}

func (h *fakeHost) Run(ctx context.Context, cmd wsman.Command, stdout, stderr io.Writer) int {
	script, params, err := decodeCommandLine(cmd.Line)
	if err != nil {
		h.t.Errorf("runner: %v", err)
		return 1
	}
	h.mu.Lock()
	h.calls = append(h.calls, call{script, params})
	r, ok := h.replies[script]
	h.mu.Unlock()
	if !ok {
		h.t.Errorf("runner: no reply recorded for %s", script)
		return 1
	}
	if r.block {
		h.blocked.Add(1)
		defer h.blocked.Add(-1)
		<-ctx.Done()
		return 1
	}
	_, _ = io.WriteString(stdout, r.stdout)
	_, _ = io.WriteString(stderr, r.stderr)
	return r.exit
}

// decodeCommandLine returns the script name (from its "# hvbalancer NAME"
// header) and the JSON parameters of an encoded command.
func decodeCommandLine(line string) (string, map[string]any, error) {
	fields := strings.Fields(line)
	raw, err := base64.StdEncoding.DecodeString(fields[len(fields)-1])
	if err != nil {
		return "", nil, err
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	lines := strings.Split(string(utf16.Decode(u)), "\n")
	if len(lines) < 3 {
		return "", nil, io.ErrUnexpectedEOF
	}
	blob := strings.TrimSuffix(strings.TrimPrefix(lines[1], hyperv.ParamPrefix), hyperv.ParamSuffix)
	js, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return "", nil, err
	}
	var params map[string]any
	if err := json.Unmarshal(js, &params); err != nil {
		return "", nil, err
	}
	return strings.TrimPrefix(lines[2], "# hvbalancer "), params, nil
}

// fixture is a WS-Man server on 127.0.0.1 backed by a fakeHost.
type fixture struct {
	host   *fakeHost
	ws     *wsman.Server
	config hyperv.Config // ready to use, with the right password
}

type fixtureOpts struct {
	https     bool
	intercept func(op wsman.Op, shellID, commandID string) wsman.Action
	maxShells int // the host's MaxShellsPerUser; 0 = Windows' 30
}

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	h := &fakeHost{t: t}
	// A host with Basic enabled and AllowUnencrypted=true, as these tests
	// were written for; transport_e2e_test.go covers default hosts.
	ws, err := wsman.NewServer(wsman.Config{
		Auth: wsman.Auth{Schemes: []wsman.Scheme{wsman.Negotiate, wsman.Basic}, AllowUnencrypted: true,
			Accounts: wsman.SingleAccount(strings.TrimPrefix(wireUser, `LAB\`), wirePassword)},
		Runner:           h,
		Intercept:        o.intercept,
		MachineName:      "HV01",
		MaxShellsPerUser: o.maxShells,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/wsman", ws)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnContext = wsman.ConnContext
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed TLS handshakes are expected
	cfg := hyperv.Config{Host: "127.0.0.1", Username: wireUser, Password: wirePassword, Encryption: hyperv.EncryptionNever,
		CallTimeout: 30 * time.Second, MoveTimeout: 30 * time.Second, OperationTimeout: time.Second}
	if o.https {
		ca, err := wsman.NewCA()
		if err != nil {
			t.Fatal(err)
		}
		cert, err := ca.Issue("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		cfg.HTTPS, cfg.CACert = true, ca.CertPEM()
	} else {
		srv.Start()
	}
	t.Cleanup(func() { ws.Close(); srv.Close() })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	cfg.Port, _ = strconv.Atoi(port)
	return &fixture{host: h, ws: ws, config: cfg}
}

func (f *fixture) client(t *testing.T, mod func(*hyperv.Config)) *hyperv.Client {
	t.Helper()
	cfg := f.config
	if mod != nil {
		mod(&cfg)
	}
	c, err := hyperv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Recorded outputs of Windows PowerShell 5.1.
const (
	outHost = `{"Name":"HV01","FullyQualifiedDomainName":"HV01.lab.example","LogicalProcessorCount":32,"MemoryCapacity":274877906944,"VirtualMachineMigrationEnabled":true,"MaximumVirtualMachineMigrations":2,"VirtualMachineMigrationAuthenticationType":1,"VirtualMachineMigrationPerformanceOption":1,"Cluster":"CL01",` +
		`"ProcessorManufacturer":"GenuineIntel","ProcessorCaption":"Intel64 Family 6 Model 106 Stepping 6","ConfigVersions":["8.0","9.0","9.1","10.0"],"Switches":"LAN",` +
		`"VirtualMachinePath":"D:\\Hyper-V","VirtualHardDiskPath":"D:\\Hyper-V\\Virtual Hard Disks",` +
		`"Volumes":[{"Path":"C:\\","Size":255369195520,"Free":98765432832},{"Path":"D:\\","Size":1999843442688,"Free":1500000000000},` +
		`{"Path":"C:\\ClusterStorage\\Volume1\\","Size":4398046511104,"Free":2199023255552},{"Path":"\\\\fs01\\vms","Size":8796093022208,"Free":4398046511104},` +
		`{"Path":"\\\\fs02\\locked","Size":null,"Free":null}]}` + "\r\n"
	outVMs = `[{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","Name":"web01","State":2,"CPUUsage":7,"ProcessorCount":4,"MemoryAssigned":4294967296,"MemoryDemand":3221225472,"MemoryStartup":4294967296,"DynamicMemoryEnabled":false,"IsClustered":false,"Uptime":{"Ticks":1234500000000,"Days":1,"Hours":10,"Milliseconds":0,"Minutes":17,"Seconds":30,"TotalDays":1.4288194444444444,"TotalHours":34.291666666666664,"TotalMilliseconds":123450000,"TotalMinutes":2057.5,"TotalSeconds":123450},"Notes":"role=sql\nowner=db-team","ComputerName":"HV01",` +
		`"Version":"9.0","Path":"D:\\Hyper-V","ProcessorCompatibility":true,"Switches":["LAN","Storage"],` +
		`"Disks":[{"Path":"D:\\Hyper-V\\Virtual Hard Disks\\web01.vhdx","FileSize":42949672960,"Size":137438953472},{"Path":"\\\\fs01\\vms\\web01-data.vhdx","FileSize":1073741824,"Size":1099511627776}]},` +
		`{"Id":"0a1b2c3d-0000-4000-8000-000000000001","Name":"x\u0027; Stop-Computer -Force; \u0027","State":3,"CPUUsage":0,"ProcessorCount":2,"MemoryAssigned":0,"MemoryDemand":0,"MemoryStartup":2147483648,"DynamicMemoryEnabled":true,"IsClustered":false,"Uptime":{"Ticks":0,"Days":0,"Hours":0,"Milliseconds":0,"Minutes":0,"Seconds":0,"TotalDays":0,"TotalHours":0,"TotalMilliseconds":0,"TotalMinutes":0,"TotalSeconds":0},"Notes":"","ComputerName":"HV01",` +
		`"Version":"8.0","Path":"C:\\ClusterStorage\\Volume1\\x","ProcessorCompatibility":null,"Switches":"",` +
		`"Disks":{"Path":"C:\\ClusterStorage\\Volume1\\x\\x.avhdx","FileSize":null,"Size":null}}]` + "\r\n"
	outCounters = `[{"Set":"LP","Sample":0,"Name":"Hv LP 0","Value":8640000000000,"Timestamp_Sys100NS":134088048000000000},` +
		`{"Set":"LP","Sample":0,"Name":"_Total","Value":17280000000000,"Timestamp_Sys100NS":134088048000000000},` +
		`{"Set":"VP","Sample":0,"Name":"web01:Hv VP 0","Value":5000,"Timestamp_Sys100NS":134088048000000000},` +
		`{"Set":"LP","Sample":1,"Name":"Hv LP 0","Value":8640012640000,"Timestamp_Sys100NS":134088048020000000},` +
		`{"Set":"LP","Sample":1,"Name":"_Total","Value":17280025280000,"Timestamp_Sys100NS":134088048020000000},` +
		`{"Set":"VP","Sample":1,"Name":"web01:Hv VP 0","Value":8345000,"Timestamp_Sys100NS":134088048020000000},` +
		`{"Set":"Memory","Sample":1,"Name":null,"Value":81234,"Timestamp_Sys100NS":134088048020000000},` +
		`{"Set":"Pressure","Sample":1,"Name":"web01","Value":78,"Timestamp_Sys100NS":134088048020000000}]` + "\r\n"
	outLocate      = `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","Name":"web01","State":2,"Status":"Operating normally","ComputerName":"HV01","IsClustered":false}` + "\r\n"
	outMove        = `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","Name":"web01","State":2,"Status":"Operating normally","ComputerName":"HV02","IsClustered":false}` + "\r\n"
	outClusterMove = `{"Name":"web01","OwnerNode":"HV02","State":0}` + "\r\n"
	outAbsent      = `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","Absent":true}` + "\r\n"
	outCompare     = `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","DestinationHost":"HV02","Incompatibilities":[` +
		`{"MessageId":33012,"Message":"Could not find Ethernet switch \u0027Storage\u0027.","Source":"Microsoft.HyperV.PowerShell.VMNetworkAdapter"},` +
		`{"MessageId":40012,"Message":"Not enough space on \u0027E:\\\u0027 of physical computer \u0027HV02\u0027. There is not enough space on the disk. (0x80070070)","Source":"Microsoft.HyperV.PowerShell.VirtualMachine"}]}` + "\r\n"
	outCompareNone = `{"Id":"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f","DestinationHost":"HV02","Incompatibilities":[]}` + "\r\n"
)

func TestWireCalls(t *testing.T) {
	for _, https := range []bool{false, true} {
		t.Run("https="+strconv.FormatBool(https), func(t *testing.T) {
			f := newFixture(t, fixtureOpts{https: https})
			f.host.set(hyperv.ScriptGetHost, reply{stdout: outHost})
			f.host.set(hyperv.ScriptGetVMs, reply{stdout: outVMs})
			f.host.set(hyperv.ScriptGetCounters, reply{stdout: outCounters})
			f.host.set(hyperv.ScriptLocateVM, reply{stdout: outLocate})
			f.host.set(hyperv.ScriptMoveVM, reply{stdout: outMove})
			f.host.set(hyperv.ScriptMoveClusterVM, reply{stdout: outClusterMove})
			c := f.client(t, nil)
			ctx := t.Context()

			h, err := c.Host(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantHost := hyperv.HostInfo{Name: "HV01", FQDN: "HV01.lab.example", Cluster: "CL01", LogicalProcessors: 32,
				MemoryCapacity: 274877906944, MigrationEnabled: true, MaxMigrations: 2,
				AuthType: hyperv.MigrationAuthKerberos, PerformanceOption: hyperv.MigrationCompression,
				ProcessorVendor: "GenuineIntel", ProcessorModel: "Intel64 Family 6 Model 106 Stepping 6",
				ConfigVersions: []string{"8.0", "9.0", "9.1", "10.0"}, Switches: []string{"LAN"},
				VMPath: `D:\Hyper-V`, VHDPath: `D:\Hyper-V\Virtual Hard Disks`,
				Volumes: []hyperv.Volume{
					{Path: `C:\`, Kind: hyperv.StorageLocal, Size: 255369195520, Free: 98765432832},
					{Path: `D:\`, Kind: hyperv.StorageLocal, Size: 1999843442688, Free: 1500000000000},
					{Path: `C:\ClusterStorage\Volume1\`, Kind: hyperv.StorageCSV, Size: 4398046511104, Free: 2199023255552},
					{Path: `\\fs01\vms`, Kind: hyperv.StorageSMB, Size: 8796093022208, Free: 4398046511104},
					{Path: `\\fs02\locked`, Kind: hyperv.StorageSMB},
				}}
			if diff := cmp.Diff(wantHost, h); diff != "" {
				t.Errorf("Host (-want +got):\n%s", diff)
			}

			vms, err := c.VMs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(vms) != 2 || vms[0].Name != "web01" || vms[0].Tags["role"] != "sql" || vms[0].Uptime != 123450*time.Second ||
				vms[1].Name != "x'; Stop-Computer -Force; '" || vms[1].State != hyperv.VMStateOff {
				t.Errorf("VMs = %+v", vms)
			}
			type facts struct {
				ConfigVersion          string
				ProcessorCompatibility bool
				Switches               []string
				Path                   string
				Disks                  []hyperv.Disk
			}
			var gotFacts []facts
			for _, v := range vms {
				gotFacts = append(gotFacts, facts{v.ConfigVersion, v.ProcessorCompatibility, v.Switches, v.Path, v.Disks})
			}
			wantFacts := []facts{
				{"9.0", true, []string{"LAN", "Storage"}, `D:\Hyper-V`, []hyperv.Disk{
					{Path: `D:\Hyper-V\Virtual Hard Disks\web01.vhdx`, Kind: hyperv.StorageLocal, FileSize: 42949672960, Size: 137438953472},
					{Path: `\\fs01\vms\web01-data.vhdx`, Kind: hyperv.StorageSMB, FileSize: 1073741824, Size: 1099511627776},
				}},
				{"8.0", false, []string{""}, `C:\ClusterStorage\Volume1\x`, []hyperv.Disk{
					{Path: `C:\ClusterStorage\Volume1\x\x.avhdx`, Kind: hyperv.StorageCSV},
				}},
			}
			if diff := cmp.Diff(wantFacts, gotFacts); diff != "" {
				t.Errorf("VM storage and compatibility (-want +got):\n%s", diff)
			}

			cs, err := c.Counters(ctx, 1500*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.host.lastCall().Params["SampleInterval"]; got != 2.0 {
				t.Errorf("SampleInterval sent = %v, want 2", got)
			}
			wantCounters := hyperv.Counters{Time: time.Unix(1764331202, 0).UTC(), HostCPUPercent: 63.2, AvailableMemory: 81234 << 20,
				VMs: map[string]hyperv.VMCounters{"web01": {CPUPercent: []float64{41.7}, MeanCPUPercent: 41.7, MemoryPressure: 78, HasPressure: true}}}
			if diff := cmp.Diff(wantCounters, cs); diff != "" {
				t.Errorf("Counters (-want +got):\n%s", diff)
			}

			loc, ok, err := c.Locate(ctx, vmID)
			if err != nil || !ok || loc.Host != "HV01" || loc.State != hyperv.VMStateRunning {
				t.Errorf("Locate = %+v, %t, %v", loc, ok, err)
			}
			if got := f.host.lastCall().Params["Id"]; got != vmID {
				t.Errorf("Id sent = %v", got)
			}
			f.host.set(hyperv.ScriptLocateVM, reply{stdout: outAbsent})
			if loc, ok, err := c.Locate(ctx, vmID); err != nil || ok {
				t.Errorf("Locate of an absent VM = %+v, %t, %v", loc, ok, err)
			}
			// Windows PowerShell 5.1 exits 1 with nothing on stdout when the
			// last pipeline's $? is false: never "not here".
			f.host.set(hyperv.ScriptLocateVM, reply{exit: 1})
			if loc, ok, err := c.Locate(ctx, vmID); err == nil || ok {
				t.Errorf("Locate that exited 1 = %+v, %t, %v; want an error", loc, ok, err)
			}
			f.host.set(hyperv.ScriptLocateVM, reply{})
			if loc, ok, err := c.Locate(ctx, vmID); !errors.Is(err, hyperv.ErrUnexpectedOutput) || ok {
				t.Errorf("Locate with no output = %+v, %t, %v; want ErrUnexpectedOutput", loc, ok, err)
			}

			f.host.set(hyperv.ScriptCompareVM, reply{stdout: outCompare})
			report, err := c.Compare(ctx, vmID, "HV02", hyperv.MoveOptions{StoragePath: `E:\VMs`})
			if err != nil || len(report) != 2 || !errors.Is(report[0], hyperv.ErrSwitchMissing) || !errors.Is(report[1], hyperv.ErrStorageFull) ||
				report[0].MessageID != 33012 || report[0].Source != "Microsoft.HyperV.PowerShell.VMNetworkAdapter" {
				t.Errorf("Compare = %+v, %v", report, err)
			}
			wantParams := map[string]any{"Id": vmID, "DestinationHost": "HV02", "DestinationStoragePath": `E:\VMs`}
			if diff := cmp.Diff(call{hyperv.ScriptCompareVM, wantParams}, f.host.lastCall()); diff != "" {
				t.Errorf("compare call (-want +got):\n%s", diff)
			}
			f.host.set(hyperv.ScriptCompareVM, reply{stdout: outCompareNone})
			if report, err := c.Compare(ctx, vmID, "HV02", hyperv.MoveOptions{Clustered: true, StoragePath: `E:\VMs`}); err != nil || len(report) != 0 {
				t.Errorf("Compare with nothing to report = %+v, %v", report, err)
			}
			if got := f.host.lastCall().Params["DestinationStoragePath"]; got != "" {
				t.Errorf("clustered compare sent storage path %v", got)
			}
			f.host.set(hyperv.ScriptCompareVM, reply{})
			if _, err := c.Compare(ctx, vmID, "HV02", hyperv.MoveOptions{}); !errors.Is(err, hyperv.ErrUnexpectedOutput) {
				t.Errorf("Compare with no output: %v, want ErrUnexpectedOutput", err)
			}
			f.host.set(hyperv.ScriptCompareVM, reply{exit: 1, stderr: clixml(
				`Get-VM : Hyper-V was unable to find a virtual machine with ID "`+vmID+`".`, "At line:3 char:13",
				"    + CategoryInfo          : ObjectNotFound: ("+vmID+":Guid) [Get-VM], VirtualizationException",
				"    + FullyQualifiedErrorId : ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM")})
			var ps *hyperv.PowerShellError
			if _, err := c.Compare(ctx, vmID, "HV02", hyperv.MoveOptions{}); !errors.Is(err, hyperv.ErrVMNotFound) || !errors.As(err, &ps) || ps.ExitCode != 1 {
				t.Errorf("Compare of a VM not on the host: %v, want ErrVMNotFound and the PowerShell error", err)
			}
			f.host.set(hyperv.ScriptCompareVM, reply{exit: 1, stderr: clixml("Compare-VM : something else")})
			if _, err := c.Compare(ctx, vmID, "HV02", hyperv.MoveOptions{}); !errors.As(err, &ps) || errors.Is(err, hyperv.ErrMigrationFailed) {
				t.Errorf("Compare that failed otherwise: %v", err)
			}

			loc, err = c.Move(ctx, vmID, "HV02", hyperv.MoveOptions{StoragePath: `D:\VMs`})
			if err != nil || loc.Host != "HV02" {
				t.Errorf("Move = %+v, %v", loc, err)
			}
			wantParams = map[string]any{"Id": vmID, "DestinationHost": "HV02", "DestinationStoragePath": `D:\VMs`}
			if diff := cmp.Diff(call{hyperv.ScriptMoveVM, wantParams}, f.host.lastCall()); diff != "" {
				t.Errorf("move call (-want +got):\n%s", diff)
			}

			loc, err = c.Move(ctx, vmID, "HV02", hyperv.MoveOptions{Clustered: true})
			wantLoc := hyperv.VMLocation{ID: vmID, Name: "web01", Host: "HV02", State: hyperv.VMStateRunning, Status: "Online", Clustered: true}
			if err != nil || loc != wantLoc {
				t.Errorf("clustered Move = %+v, %v", loc, err)
			}
			if got := f.host.lastCall(); got.Script != hyperv.ScriptMoveClusterVM || got.Params["DestinationHost"] != "HV02" {
				t.Errorf("clustered move call = %+v", got)
			}
		})
	}
}

func TestWireConcurrent(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetVMs, reply{stdout: outVMs})
	run := func(c *hyperv.Client, n int) {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if vms, err := c.VMs(t.Context()); err != nil || len(vms) != 2 {
					t.Errorf("VMs = %d, %v", len(vms), err)
				}
			})
		}
		wg.Wait()
	}
	run(f.client(t, nil), 8)

	// Each call has one request in flight at a time, and the pool keeps
	// up to 4 idle connections: 4 concurrent calls open at most 4.
	c := f.client(t, nil)
	const n = 4
	run(c, n)
	// Each call is a Command, a Receive and a Signal at least, all in
	// the client's one shell.
	if st := c.Stats(); st.Connections < 1 || st.Connections > n || st.Requests < 3*n || st.ShellsOpened != 1 {
		t.Errorf("stats = %+v, want 1-%d connections, at least %d requests and 1 shell", st, n, 3*n)
	}
}

func TestWirePollReusesOneConnection(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetHost, reply{stdout: outHost})
	f.host.set(hyperv.ScriptGetVMs, reply{stdout: outVMs})
	c := f.client(t, nil)
	defer c.Close()
	for i := range 5 {
		var err error
		if i%2 == 0 {
			_, err = c.Host(t.Context())
		} else {
			_, err = c.VMs(t.Context())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.Connections != 1 || st.Logins != 0 || st.Requests < 15 || st.ShellsOpened != 1 {
		t.Errorf("stats = %+v, want 1 connection, no login (basic), at least 15 requests, 1 shell", st)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Host(t.Context()); err == nil || !strings.Contains(err.Error(), "client closed") {
		t.Errorf("Host after Close: %v", err)
	}
}
