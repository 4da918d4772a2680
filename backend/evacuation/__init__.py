"""Evacuation transfers: demand, routing, min-cost-flow allocation to shelters, vehicle trips, exports."""
