package build

generated output is never part of the datamodel {
