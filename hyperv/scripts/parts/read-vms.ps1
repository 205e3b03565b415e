# Reads the VMs ($vms) and, per VM Id, what a migration depends on:
# processor compatibility ($compat), switches ($nets), disks ($disks);
# $drives are the VMs' disk drives. $uptime is how Uptime is selected.
$vms = @(Get-VM)
$compat = @{}; $nets = @{}; $disks = @{}; $drives = @()
if ($vms.Count -gt 0) {
  foreach ($p in @($vms | Get-VMProcessor)) { $compat[[string]$p.VMId] = $p.CompatibilityForMigrationEnabled }
  foreach ($n in @($vms | Get-VMNetworkAdapter)) { $k = [string]$n.VMId; if (-not $nets.ContainsKey($k)) { $nets[$k] = @() }; $nets[$k] += [string]$n.SwitchName }
  $drives = @($vms | Get-VMHardDiskDrive)
  $vhds = @{}
  # A checkpointed disk is a chain of differencing files (.avhdx), each
  # naming its parent: read the parents too, one Get-VHD per level.
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
      # FileSize is the whole chain's: what a storage migration copies.
      $file = [int64]0; $p = $d.Path; $n = 0
      while ($p -and $vhds.ContainsKey($p) -and $n -lt 64) { $file += [int64]$vhds[$p].FileSize; $p = $vhds[$p].ParentPath; $n += 1 }
      $disks[$k] += [pscustomobject]@{ Path = $d.Path; FileSize = $file; Size = $v.Size }
    } else { $disks[$k] += [pscustomobject]@{ Path = $d.Path; FileSize = $null; Size = $null } }
  }
}
$vmsOut = @($vms | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, CPUUsage, ProcessorCount, MemoryAssigned, MemoryDemand, MemoryStartup, DynamicMemoryEnabled, IsClustered, $uptime, Notes, ComputerName, Version, Path, @{n='ProcessorCompatibility';e={$compat[$_.Id.ToString()]}}, @{n='Switches';e={$nets[$_.Id.ToString()]}}, @{n='Disks';e={$disks[$_.Id.ToString()]}})
