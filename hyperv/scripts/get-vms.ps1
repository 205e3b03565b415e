# hvbalancer get-vms
$ErrorActionPreference = 'Stop'
$vms = @(Get-VM)
$compat = @{}
$nets = @{}
$disks = @{}
if ($vms.Count -gt 0) {
  foreach ($p in @($vms | Get-VMProcessor)) { $compat[[string]$p.VMId] = $p.CompatibilityForMigrationEnabled }
  foreach ($n in @($vms | Get-VMNetworkAdapter)) { $k = [string]$n.VMId; if (-not $nets.ContainsKey($k)) { $nets[$k] = @() }; $nets[$k] += [string]$n.SwitchName }
  $drives = @($vms | Get-VMHardDiskDrive)
  $paths = @($drives | Where-Object { $_.Path -match '\.a?vhdx?$' } | ForEach-Object { $_.Path })
  $vhds = @{}
  if ($paths.Count -gt 0) { foreach ($v in @(Get-VHD -Path $paths -ErrorAction SilentlyContinue)) { $vhds[$v.Path] = $v } }
  foreach ($d in $drives) {
    $k = [string]$d.VMId
    if (-not $disks.ContainsKey($k)) { $disks[$k] = @() }
    $v = $null
    if ($d.Path) { $v = $vhds[$d.Path] }
    if ($v) { $disks[$k] += [pscustomobject]@{ Path = $d.Path; FileSize = $v.FileSize; Size = $v.Size } } else { $disks[$k] += [pscustomobject]@{ Path = $d.Path; FileSize = $null; Size = $null } }
  }
}
$vms | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, CPUUsage, ProcessorCount, MemoryAssigned, MemoryDemand, MemoryStartup, DynamicMemoryEnabled, IsClustered, Uptime, Notes, ComputerName, Version, Path, @{n='ProcessorCompatibility';e={$compat[$_.Id.ToString()]}}, @{n='Switches';e={$nets[$_.Id.ToString()]}}, @{n='Disks';e={$disks[$_.Id.ToString()]}} | ConvertTo-Json -Compress -Depth 4
