# hvbalancer poll-host
$ErrorActionPreference = 'Stop'
# One poll of a host in one command: the first counter sample, the VMs with
# their storage, the host's facts when $a.Facts asks, then the second
# sample SampleInterval later. Each part that fails is named in Errors and
# the others still answer. Sent over stdin: too long for a command line.
# The counter samples are get-counters' with one-letter names (Set, Sample,
# Name, Value, Timestamp_Sys100NS, Wait, Dispatches), and Uptime is its
# text: a host's answer is parsed every poll, and the long forms were most
# of its bytes.
$lp = 'Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor'
$vp = 'Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor'
$r = @{ Errors = @() }
$s = @()
foreach ($i in 0, 1) {
  if ($i -gt 0) {
    try {
      $vms = @(Get-VM)
      $compat = @{}; $nets = @{}; $disks = @{}; $drives = @()
      if ($vms.Count -gt 0) {
        foreach ($p in @($vms | Get-VMProcessor)) { $compat[[string]$p.VMId] = $p.CompatibilityForMigrationEnabled }
        foreach ($n in @($vms | Get-VMNetworkAdapter)) { $k = [string]$n.VMId; if (-not $nets.ContainsKey($k)) { $nets[$k] = @() }; $nets[$k] += [string]$n.SwitchName }
        $drives = @($vms | Get-VMHardDiskDrive)
        $vhds = @{}
        $todo = @($drives | Where-Object { $_.Path -match '\.a?vhdx?$' } | ForEach-Object { $_.Path })
        while ($todo.Count -gt 0) {
          $next = @()
          foreach ($v in @(Get-VHD -Path $todo -ErrorAction SilentlyContinue)) { $vhds[$v.Path] = $v; if ($v.ParentPath -and -not $vhds.ContainsKey($v.ParentPath) -and $next -notcontains $v.ParentPath) { $next += [string]$v.ParentPath } }
          $todo = $next
        }
        foreach ($d in $drives) {
          $k = [string]$d.VMId
          if (-not $disks.ContainsKey($k)) { $disks[$k] = @() }
          $v = $null
          if ($d.Path) { $v = $vhds[$d.Path] }
          if ($v) {
            $file = [int64]0; $p = $d.Path; $n = 0
            while ($p -and $vhds.ContainsKey($p) -and $n -lt 64) { $file += [int64]$vhds[$p].FileSize; $p = $vhds[$p].ParentPath; $n += 1 }
            $disks[$k] += [pscustomobject]@{ Path = $d.Path; FileSize = $file; Size = $v.Size }
          } else { $disks[$k] += [pscustomobject]@{ Path = $d.Path; FileSize = $null; Size = $null } }
        }
      }
      $r.VMs = @($vms | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, CPUUsage, ProcessorCount, MemoryAssigned, MemoryDemand, MemoryStartup, DynamicMemoryEnabled, IsClustered, @{n='Uptime';e={[string]$_.Uptime}}, Notes, ComputerName, Version, Path, @{n='ProcessorCompatibility';e={$compat[$_.Id.ToString()]}}, @{n='Switches';e={$nets[$_.Id.ToString()]}}, @{n='Disks';e={$disks[$_.Id.ToString()]}})
    } catch { $r.Errors += [pscustomobject]@{ Part = 'VMs'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
    if ($a.Facts) {
      try {
        $c = $null
        if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) { $c = (Get-Cluster -ErrorAction SilentlyContinue).Name }
        $h = Get-VMHost
        $cpu = @(Get-CimInstance -ClassName Win32_Processor)[0]
        $versions = @(Get-VMHostSupportedVersion | ForEach-Object { [string]$_.Version })
        $switches = @(Get-VMSwitch | ForEach-Object { $_.Name })
        $vols = @(Get-CimInstance -ClassName Win32_Volume | Where-Object { $_.Capacity -gt 0 -and $_.Name -notmatch '^\\\\\?\\' } | ForEach-Object { [pscustomobject]@{ Path = $_.Name; Size = $_.Capacity; Free = $_.FreeSpace } })
        $shares = @{}
        foreach ($f in @($h.VirtualMachinePath, $h.VirtualHardDiskPath) + @($vms | ForEach-Object { $_.Path }) + @($drives | ForEach-Object { $_.Path })) { if ($f -match '^(\\\\[^.?\\][^\\]*\\[^\\]+)') { $shares[$Matches[1]] = $true } }
        if ($shares.Count -gt 0) { $fso = New-Object -ComObject Scripting.FileSystemObject }
        foreach ($x in @($shares.Keys)) {
          $d = $null
          try { $d = $fso.GetDrive($x) } catch { $d = $null }
          if ($d -and $d.IsReady) { $vols += [pscustomobject]@{ Path = $x; Size = [int64]$d.TotalSize; Free = [int64]$d.AvailableSpace } } else { $vols += [pscustomobject]@{ Path = $x; Size = $null; Free = $null } }
        }
        $r.Host = $h | Select-Object @{n='Name';e={$_.ComputerName}}, FullyQualifiedDomainName, LogicalProcessorCount, MemoryCapacity, VirtualMachineMigrationEnabled, MaximumVirtualMachineMigrations, VirtualMachineMigrationAuthenticationType, VirtualMachineMigrationPerformanceOption, @{n='Cluster';e={$c}}, @{n='ProcessorManufacturer';e={$cpu.Manufacturer}}, @{n='ProcessorCaption';e={$cpu.Caption}}, @{n='ConfigVersions';e={$versions}}, @{n='Switches';e={$switches}}, VirtualMachinePath, VirtualHardDiskPath, @{n='Volumes';e={$vols}}
      } catch { $r.Errors += [pscustomobject]@{ Part = 'Host'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
    }
    Start-Sleep -Seconds $a.SampleInterval
  }
  try {
    $s += @(Get-CimInstance -ClassName $lp | Select-Object @{n='S';e={'LP'}}, @{n='I';e={$i}}, @{n='N';e={$_.Name}}, @{n='V';e={$_.PercentTotalRunTime}}, @{n='T';e={$_.Timestamp_Sys100NS}})
    $s += @(Get-CimInstance -ClassName $vp | Select-Object @{n='S';e={'VP'}}, @{n='I';e={$i}}, @{n='N';e={$_.Name}}, @{n='V';e={$_.PercentGuestRunTime}}, @{n='W';e={$_.CPUWaitTimePerDispatch}}, @{n='D';e={$_.CPUWaitTimePerDispatch_Base}}, @{n='T';e={$_.Timestamp_Sys100NS}})
  } catch { $r.Errors += [pscustomobject]@{ Part = 'Counters'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
}
try {
  $s += @(Get-CimInstance -ClassName Win32_PerfRawData_PerfOS_Memory | Select-Object @{n='S';e={'Memory'}}, @{n='I';e={1}}, @{n='N';e={$_.Name}}, @{n='V';e={$_.AvailableMBytes}}, @{n='T';e={$_.Timestamp_Sys100NS}})
  $s += @(Get-CimInstance -ClassName Win32_PerfRawData_BalancerStats_HyperVDynamicMemoryVM -ErrorAction SilentlyContinue | Select-Object @{n='S';e={'Pressure'}}, @{n='I';e={1}}, @{n='N';e={$_.Name}}, @{n='V';e={$_.AveragePressure}}, @{n='T';e={$_.Timestamp_Sys100NS}})
} catch { $r.Errors += [pscustomobject]@{ Part = 'Counters'; Message = $_.Exception.Message; Category = [string]$_.CategoryInfo; Id = $_.FullyQualifiedErrorId } }
$r.Samples = $s
ConvertTo-Json -InputObject $r -Compress -Depth 5
