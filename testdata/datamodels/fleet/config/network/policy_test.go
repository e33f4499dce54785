package network

this file is not Go at all, and test files are not part of the datamodel
