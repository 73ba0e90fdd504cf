"""Agencies: the organisations that share cases along Thailand's NRM (police, MSDHS offices,
shelters, prosecutors, labour offices, NGOs, IOM...), as data, and the routing of new cases to
the agencies that cover a province."""
