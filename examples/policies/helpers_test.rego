package hvbalancer_test

import data.hvbalancer

test_vm_name_falls_back_to_id if {
	f := with_vm(fleet, "id-web01", {"name": ""})
	hvbalancer.vm_name("id-sql01") == "sql01" with input as round_input(f)
	hvbalancer.vm_name("id-web01") == "id-web01" with input as round_input(f)
}

test_maintenance_by_flag_or_label if {
	f := with_host(with_host(fleet, "HV01", {"maintenance": true}), "HV02", {"labels": {"maintenance": "True"}})
	hvbalancer.in_maintenance("HV01") with input as round_input(f)
	hvbalancer.in_maintenance("HV02") with input as round_input(f)
	not hvbalancer.in_maintenance("HV03") with input as round_input(f)
}

test_pinned_host_ignores_case if {
	hvbalancer.pinned_host({"tags": {"pin": "hv03"}}) == "HV03" with input as round_input(fleet)
	not hvbalancer.pinned_host({"tags": {"pin": "HV99"}}) with input as round_input(fleet)
	not hvbalancer.pinned_host({"tags": {}}) with input as round_input(fleet)
}
