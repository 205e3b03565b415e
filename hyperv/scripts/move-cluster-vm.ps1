# hvbalancer move-cluster-vm
$ErrorActionPreference = 'Stop'
Move-ClusterVirtualMachineRole -VMId $a.Id -Node $a.DestinationHost -MigrationType Live | Select-Object Name, @{n='OwnerNode';e={$_.OwnerNode.Name}}, State | ConvertTo-Json -Compress
